"""Synthetic corpora of education-reform news in English and Chinese, for benchmarks.

Places come from the admin-division table that ``cpca`` ships (every county-level unit of
China with its prefecture-level city); policies from ``ontology/policies.tsv``; schools,
groups, officials and figures are composed from general patterns.  Article ``i`` of a seed
is the same whatever the corpus size, so a 10^4 corpus contains the 10^3 one.

Examples
--------
>>> a = make_article(7, seed=1)
>>> a == make_article(7, seed=1), a["language"] in {"en", "zh"}
(True, True)
>>> len(a["text"]) > 500
True
"""

from __future__ import annotations

import csv
import functools
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DENSITIES", "Place", "places", "policies", "narrative", "make_article", "compose", "write_corpus",
           "iter_corpus"]

REPO = Path(__file__).resolve().parent.parent
PER_FILE = 1000
DENSITIES = ("realistic", "dense")
#: narrative per block of facts, in KB of UTF-8 (calibrated on the seeds: 70–150 quads per KB)
REALISTIC_KB_PER_BLOCK = (3.8, 5.0)

_SUFFIX_EN = {"区": "District", "县": "County", "市": "City", "旗": "Banner"}
_ROADS = "建设 人民 解放 文化 和平 中山 长江 黄河 光明 青年 胜利 新华 育才 东风".split()
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "建国华明伟芳娜秀英敏静丽强磊军洋勇艳杰涛超平刚桂红春玲志宏新文辉斌"
_CN_DIGITS = "零一二三四五六七八九十"
_TYPES = [("中学", "Middle School"), ("小学", "Primary School"), ("实验学校", "Experimental School"),
          ("高级中学", "Senior High School"), ("幼儿园", "Kindergarten")]
_FILLER_EN = [
    "The reform aims to narrow the gap between urban and rural schools and to give every child a fair chance.",
    "Teachers said the new arrangements reduce homework pressure and leave more time for sports and reading.",
    "Parents welcomed the changes, saying that good schools are now closer to home.",
    "The bureau will continue to optimise the allocation of education resources across the region.",
    "Officials stressed quality, balance and fairness as the guiding principles of the next stage.",
    "Exchanges of principals and backbone teachers between member schools will become routine.",
]
_FILLER_ZH = [
    "改革旨在缩小城乡学校差距，让每个孩子都能享有公平而有质量的教育。",
    "教师们表示，新的安排减轻了作业负担，学生有了更多时间参加体育锻炼和阅读。",
    "家长们普遍认为，家门口的好学校越来越多了。",
    "教育局将继续优化区域教育资源配置，推动义务教育优质均衡发展。",
    "有关负责人强调，下一阶段要坚持质量、均衡和公平。",
    "成员校之间的校长和骨干教师交流将实现常态化。",
]

_MONTHS_EN = "January February March April May June July August September October November December".split()

_NARR_EN: dict[str, tuple[str, ...]] = {
    "when": (
        "On {month} {day}", "On the morning of {month} {day}", "On the afternoon of {month} {day}",
        "Earlier this month", "Last week", "Recently", "In recent years", "Since the start of the spring semester",
        "During the summer vacation", "At the start of the autumn semester", "Over the past few years",
        "This spring", "Last autumn", "In the first half of the year", "Before the winter holiday",
        "At the end of last semester", "Since the beginning of this year", "In the past few months",
        "A few days ago", "On the eve of Teachers' Day", "During the first week of the new term",
    ),
    "actor": (
        "teachers from several schools", "a group of young teachers", "the district's teaching research office",
        "local education authorities", "principals of rural schools", "volunteers from the community",
        "parents' committees", "the teacher training centre", "education inspectors",
        "experts from a normal university", "the youth league committee", "class teachers across the district",
        "the school health office", "members of the local people's congress", "retired teachers",
        "researchers from the provincial academy of education sciences",
        "the student union",
        "staff of the family education guidance centre", "the county's science and technology association",
        "backbone teachers of physical education", "the children's palace", "psychology teachers",
        "heads of kindergartens", "librarians and reading promoters", "the local public security bureau",
    ),
    "action": (
        "held a seminar on {topic}", "organised an open-class week on {topic}", "carried out home visits on {topic}",
        "launched a month-long campaign on {topic}", "visited remote teaching points to study {topic}",
        "hosted a training session on {topic}", "published a handbook on {topic}", "surveyed parents about {topic}",
        "held a symposium to discuss {topic}", "gave a series of lectures about {topic}",
        "set up a working group on {topic}", "reviewed progress on {topic}", "shared their experience of {topic}",
        "staged a demonstration lesson on {topic}", "drew up a plan for {topic}", "inspected schools' work on {topic}",
        "invited experts to give advice on {topic}", "compiled a collection of cases on {topic}",
        "ran a competition on {topic}", "held a parents' open day centred on {topic}",
    ),
    "topic": (
        "campus safety", "reading promotion", "the mental health of students", "homework design", "moral education",
        "physical exercise", "science education", "teacher ethics", "digital classrooms", "traditional culture",
        "myopia prevention", "school meals", "art education", "career planning", "the new curriculum standards",
        "classroom teaching reform", "the evaluation of teaching quality", "the use of information technology",
        "the transition from kindergarten to primary school", "special education", "vocational guidance",
        "drowning prevention", "food safety", "school sports", "calligraphy", "rule-of-law education",
        "ecological civilisation", "traffic safety", "anti-bullying work", "the protection of minors",
        "patriotic education", "class management", "lesson preparation", "subject teaching research",
        "the school library", "music and dance", "scientific literacy", "national defence education",
        "sleep management", "the use of mobile phones on campus",
    ),
    "purpose": (
        "to improve teaching quality", "so that every child can grow up healthily", "to share good practice",
        "to meet the expectations of the people", "to build a strong teaching force", "to make campuses safer",
        "to lay a solid foundation for the next semester", "to help young teachers grow",
        "to let students learn happily", "to narrow the gap between urban and rural schools",
        "to respond to the concerns of parents", "to widen students' horizons", "to raise students' interest",
        "to strengthen the link between home and school", "to put the new ideas into everyday lessons",
        "to find out what parents really need", "to keep problems from piling up",
        "to turn good ideas into concrete measures", "to give children more choices",
        "to support schools in remote villages",
    ),
    "adverb": ("steadily", "actively", "continuously", "carefully", "step by step", "solidly", "vigorously"),
    "principle": (
        "putting students first", "fairness and quality", "innovation and openness", "practical results",
        "the healthy growth of every child", "the needs of the people", "long-term planning",
        "the professional growth of teachers", "safety first", "the development of the whole person",
    ),
    "event": (
        "teaching skills competition", "culture and arts festival", "science and technology festival",
        "sports meeting for primary and secondary students", "Chinese character writing contest",
        "recitation contest of classical poems", "robotics contest", "choir competition", "art exhibition of students",
        "reading festival", "forum on basic education", "class teachers' skills contest",
        "youth football league", "innovation contest for young people", "drama festival for young people",
    ),
    "ordinal": (
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
        "11th", "12th", "13th", "14th", "15th", "16th", "17th", "18th", "19th", "20th", "21st", "22nd",
    ),
    "scene": (
        "parents were waiting outside the school gate as children filed in under the eyes of teachers on duty",
        "the playground was filled with the sound of footballs and laughter",
        "pupils in yellow caps were crossing the road with the help of volunteers",
        "a biology teacher was leading her class through the school's vegetable garden",
        "the library was so quiet that only the turning of pages could be heard",
        "students were rehearsing a play about the history of their hometown",
        "the music room echoed with a folk song the children had just learned",
        "the canteen was serving a warm lunch of rice, vegetables and soup",
        "teachers were gathering in the meeting room to go over the week's lessons",
        "a group of children were measuring the shadow of a tree for their science homework",
        "rain did not stop the morning exercises, which moved to the covered corridors",
        "a young teacher was marking homework by the window, a red pen in hand",
    ),
    "clock": ("7:30", "7:40", "7:50", "8:10", "9:20", "10:00", "10:30", "14:30", "15:40", "16:30", "17:00", "18:20"),
    "speaker": (
        "a parent surnamed {sur}", "a teacher surnamed {sur}", "a head teacher surnamed {sur}",
        "a grandmother who was picking up her grandson", "a fifth-grader", "a young teacher who joined last year",
        "a principal from a nearby town", "a mother who has twins in the school", "an education researcher",
        "a retired teacher",
        "a father who works in the city", "a student council member",
    ),
    "worry": (
        "we used to worry that the school was too far away", "we once thought good teachers only stayed in town",
        "my child used to be afraid of mathematics", "we never had time to help with homework",
        "our village school used to have only a few teachers", "the children used to spend hours on the bus",
        "I was not sure the new arrangement would work", "we had few books at home",
    ),
    "relief": (
        "now the lessons are just as good as in the city", "now the children look forward to going to school",
        "now the teachers call us every week", "now my daughter comes home and talks about science",
        "now there is time for sports and reading every day", "now we feel at ease",
        "now the school feels like a second home", "now my son reads before bed without being asked",
    ),
    "view": (
        "education is the most important livelihood issue", "every child deserves a good school near home",
        "a good teacher can change a child's life", "reform must be judged by what students gain",
        "the quality of education depends on the quality of teachers", "schools should be places of joy",
        "parents, schools and society must work together", "rural schools must not be left behind",
        "what matters most is whether children grow up healthy and happy",
    ),
    "next": (
        "improve the working conditions of rural teachers", "make the evaluation of schools more scientific",
        "open more clubs and interest groups", "strengthen cooperation between schools and families",
        "train more young teachers", "use digital resources in every classroom", "keep the burden on students light",
        "improve the meals served in canteens", "build more sports grounds", "listen more closely to parents",
    ),
}

_NARR_TEMPLATES_EN = (
    "{when}, {actor} {action}, {purpose}.",
    "{when}, {actor} {action} in {place}, {purpose}.",
    "{when}, {actor} in {place} {action}.",
    "At {clock} on a weekday in {place}, {scene}.",
    "At {clock}, {scene}, while {actor} {action}.",
    "\"{Worry}, but {relief},\" said {speaker} in {place}.",
    "\"{Worry}. {Relief},\" {speaker} from {place} told reporters.",
    "In the words of {speaker} from {place}, {view}, {purpose}.",
    "{Speaker} said that {view}, and that {place} would {next}.",
    "The {ordinal} {event} of {city} opened on {month} {day}, {purpose}.",
    "The {ordinal} {event} was held in {place}, and {actor} took part.",
    "{Place} has always regarded {topic} as a key task, with an emphasis on {principle}.",
    "{Place} is {adverb} advancing work on {topic} and {topic2}, guided by {principle}.",
    "According to {actor}, work on {topic} will be combined with {topic2} {purpose}.",
    "Participants of the meeting in {place} agreed that {view}, and that work on {topic} must go on.",
    "The meeting stressed that schools in {place} must {next} and {next2}.",
    "Next, {place} will {next} and {next2}, {purpose}.",
    "The plan calls on schools in {city} to {next}, {purpose}.",
    "Since the 20th National Congress of the Party, {place} has {adverb} promoted {topic}.",
    "Reporters saw that {scene}, while {actor} {action}.",
    "Reporters saw that {scene}; a little later, {scene2}.",
    "Many parents in {place} said that {relief}, and that {view}.",
    "{When}, {place} {adverb} carried out checks on {topic} and {topic2}.",
    "Work on {topic} in {place} has entered a new stage, {purpose}.",
    "{Actor} also {action}, which was welcomed by teachers and parents alike.",
    "{When}, {actor} {action}; at the same time, {actor2} {action2}, {purpose}.",
    "Looking back on the past year, {place} has kept to {principle} and {principle2}, and has {adverb} improved "
    "{topic}, {topic2} and {topic3}, {purpose}.",
    "\"{View}, so we must {next},\" said {speaker}, adding that {actor} had {action} {purpose}.",
    "The reporter learned from {actor} that {place} will {next} and {next2} in the coming months, and that work on "
    "{topic} will be included in the evaluation of schools.",
    "Visiting {place} at {clock}, reporters found that {scene}.",
    "For {speaker}, the change is easy to see: \"{worry}; {relief}.\"",
    "{When}, {city} held a meeting on {topic}, where {actor} {action} and {actor2} {action2}.",
    "Some teachers in {place} admitted that {topic} is not easy, but they agreed that {view}.",
    "Behind the changes in {place} is a simple idea: {view}.",
    "{Place} has also paid attention to {topic}: {actor} {action}, and {actor2} {action2}.",
    "\"We will {next} and {next2},\" said {speaker}. \"{View}.\"",
    "In {month}, {actor} in {place} {action}, and the results were shared with schools across {city}.",
    "Education authorities in {city} have asked every district to {next}, {purpose}.",
    "Talking about {topic}, {speaker} said that {view}, and that {relief}.",
    "On a visit to {place} on {month} {day}, {actor} {action}, {purpose}.",
)

_NARR_ZH: dict[str, tuple[str, ...]] = {
    "when": (
        "{month}月{day}日上午", "{month}月{day}日下午", "{day}日上午", "{day}日", "近日", "日前", "今年以来",
        "近年来", "开学第一周", "暑假期间", "寒假前夕", "本学期以来", "上周", "新学期伊始", "春季学期开学后",
        "教师节前夕", "入冬以来", "上半年", "去年秋季学期", "{month}月中旬", "{month}月下旬",
    ),
    "actor": (
        "教研员们", "全区各中小学", "一批青年教师", "多所学校的校长", "家长委员会", "社区志愿者", "督导组",
        "教育专家", "部分人大代表和政协委员", "党员教师", "团委和少先队", "班主任们", "心理健康教师",
        "退休老教师", "师范大学的专家团队", "校医和保健老师", "少年宫的辅导员", "科协的科普志愿者",
        "各园园长", "图书管理员和阅读推广人", "派出所民警", "体育骨干教师", "教科研人员", "学生会干部",
    ),
    "action": (
        "举办{topic}专题研讨会", "开展{topic}主题活动", "深入课堂调研{topic}工作", "召开{topic}工作推进会",
        "组织{topic}专题培训", "走访偏远教学点了解{topic}情况", "发布{topic}工作指引", "围绕{topic}开展家访",
        "举行{topic}现场观摩会", "启动{topic}宣传月活动", "分享{topic}方面的经验", "上了一堂{topic}示范课",
        "制定{topic}工作方案", "对{topic}工作开展专项检查", "邀请专家就{topic}进行指导", "汇编{topic}典型案例",
        "举办{topic}比赛", "以{topic}为主题举办家长开放日", "召开{topic}座谈会", "梳理{topic}存在的问题",
    ),
    "topic": (
        "校园安全", "阅读推广", "学生心理健康", "作业设计", "德育", "体育锻炼", "科学教育", "师德师风",
        "数字课堂", "中华优秀传统文化", "近视防控", "校园餐", "艺术教育", "生涯规划", "新课标", "课堂教学改革",
        "教学质量评价", "信息技术应用", "幼小衔接", "特殊教育", "防溺水", "食品安全", "校园足球", "书法教育",
        "法治教育", "生态文明教育", "交通安全", "防欺凌", "未成年人保护", "爱国主义教育", "班级管理",
        "集体备课", "学科教研", "校园图书馆建设", "音乐舞蹈", "科学素养", "国防教育", "睡眠管理", "手机管理",
    ),
    "purpose": (
        "进一步提升教育教学质量", "促进学生全面发展", "让每个孩子都能健康成长", "推动优质经验共享",
        "办好人民满意的教育", "助力青年教师成长", "切实减轻学生负担", "营造良好育人环境",
        "不断增强群众的获得感", "为新学期工作打下坚实基础", "回应家长关切", "拓宽学生视野", "激发学生兴趣",
        "密切家校联系", "把新理念落实到日常课堂", "摸清家长的真实需求", "把问题解决在萌芽状态",
        "把好想法变成实举措", "给孩子们更多选择", "支持偏远村校发展",
    ),
    "lead": ("旨在", "力求", "努力", "目的是", "着力", "以期"),
    "adverb": ("扎实", "积极", "持续", "稳步", "大力", "有序", "深入"),
    "principle": (
        "以学生为中心", "公平与质量并重", "改革创新", "注重实效", "健康第一", "立德树人", "问题导向",
        "系统谋划", "需求导向", "守正创新",
    ),
    "event": (
        "中小学教师教学技能大赛", "校园文化艺术节", "青少年科技节", "中小学生运动会", "汉字书写大赛",
        "经典诵读比赛", "机器人竞赛", "合唱比赛", "中小学生美术作品展", "读书节", "基础教育论坛",
        "班主任基本功大赛", "青少年足球联赛", "青少年创新大赛", "校园戏剧节",
    ),
    "ordinal": tuple("一二三四五六七八九十") + ("十一", "十二", "十三", "十四", "十五", "十六", "十八", "二十"),
    "scene": (
        "校门口站满了送孩子的家长，值周老师正引导学生有序进校", "操场上传来阵阵足球声和欢笑声",
        "戴着小黄帽的孩子们在志愿者的护送下过马路", "生物老师正带着学生在学校的劳动基地里观察蔬菜长势",
        "图书馆里很安静，只听得见翻书的声音", "学生们正在排练一出讲述家乡历史的课本剧",
        "音乐教室里回荡着孩子们刚学会的民歌", "食堂里正在供应热腾腾的午饭", "老师们聚在会议室里集体备课",
        "几个孩子正在测量树影的长度，完成科学作业", "雨天的课间操改在了走廊里进行",
        "一位年轻教师正坐在窗边批改作业", "实验室里，学生们正分组动手做实验",
        "美术教室的墙上挂满了学生的剪纸作品",
    ),
    "clock": ("早上7点30分", "早上7点40分", "早上7点50分", "上午8点10分", "上午9点20分", "上午10点", "上午10点半",
              "下午2点半", "下午3点40分", "下午4点半", "下午5点", "傍晚6点"),
    "speaker": (
        "家长{sur}女士", "家长{sur}先生", "{sur}老师", "班主任{sur}老师", "一位前来接孙子的奶奶", "一名五年级学生",
        "一位去年入职的年轻教师", "邻镇的一位校长", "一位二孩妈妈", "一位教育研究者", "一位退休教师",
        "一位在城里打工的父亲", "学生会的一名干部",
    ),
    "worry": (
        "以前总担心学校离家太远", "过去觉得好老师都留在城里", "孩子以前很怕数学", "我们以前没时间辅导作业",
        "以前村里的学校只有几个老师", "孩子以前每天要坐很久的车", "一开始不确定新办法能不能行", "以前家里没几本书",
    ),
    "relief": (
        "现在的课和城里一样好", "现在孩子天天盼着上学", "现在老师每周都和我们沟通", "现在女儿回家就讲科学小实验",
        "现在每天都有时间运动和阅读", "现在我们放心多了", "现在学校就像第二个家", "现在儿子睡前会主动看书",
    ),
    "view": (
        "教育是最大的民生", "每个孩子都应该在家门口上好学", "一位好老师能改变孩子的一生",
        "改革成效要看学生的收获", "教育质量取决于教师队伍的质量", "学校应该是充满快乐的地方",
        "家庭、学校和社会要形成合力", "农村学校不能掉队", "最重要的是孩子们健康快乐地成长",
    ),
    "next": (
        "改善乡村教师工作条件", "完善学校评价办法", "开设更多社团和兴趣小组", "加强家校沟通",
        "培养更多青年教师", "推动数字资源进课堂", "让学生负担保持在合理水平", "让校园餐更营养健康",
        "建设更多运动场地", "更多倾听家长的意见",
    ),
}

_NARR_TEMPLATES_ZH = (
    "{when}，{actor}{action}，{lead}{purpose}。",
    "{when}，{actor}在{place}{action}，{lead}{purpose}。",
    "{when}，{place}{actor}{action}。",
    "{clock}，在{place}，{scene}。",
    "{clock}，{scene}，{actor}则在一旁{action}。",
    "“{worry}，{relief}。”{place}的{speaker}说。",
    "“{worry}。{relief}。”来自{place}的{speaker}告诉记者。",
    "在{place}的{speaker}看来，{view}，要{lead}{purpose}。",
    "{speaker}表示，{view}，下一步{place}将{next}。",
    "{month}月{day}日，第{ordinal}届{city}{event}开幕，{lead}{purpose}。",
    "第{ordinal}届{event}在{place}举行，{actor}参加了活动。",
    "{place}始终把{topic}作为重点工作，坚持{principle}。",
    "{place}{adverb}推进{topic}和{topic2}工作，坚持{principle}。",
    "据介绍，{topic}工作将与{topic2}结合起来，{lead}{purpose}。",
    "{place}与会人员一致认为，{view}，{topic}工作不能松懈。",
    "会议强调，{place}各校要{next}，{next2}。",
    "下一步，{place}将{next}，{next2}，{lead}{purpose}。",
    "方案要求{city}各校{next}，{lead}{purpose}。",
    "党的二十大以来，{place}{adverb}推进{topic}。",
    "记者看到，{scene}，{actor}正在{action}。",
    "记者看到，{scene}；不一会儿，{scene2}。",
    "{place}不少家长说，{relief}，{view}。",
    "{when}，{place}{adverb}开展{topic}和{topic2}专项检查。",
    "{place}{topic}工作进入新阶段，{lead}{purpose}。",
    "{actor}还{action}，受到师生和家长的欢迎。",
    "{when}，{actor}{action}；与此同时，{actor2}{action2}，{lead}{purpose}。",
    "回顾过去一年，{place}坚持{principle}、{principle2}，{adverb}推进{topic}、{topic2}和{topic3}，{lead}{purpose}。",
    "“{view}，所以我们要{next}。”{speaker}说，{actor}已经{action}，{lead}{purpose}。",
    "记者从{actor}了解到，接下来{place}将{next}，{next2}，并把{topic}纳入学校评价。",
    "{clock}，记者在{place}采访时看到，{scene}。",
    "对{speaker}来说，变化看得见：“{worry}，{relief}。”",
    "{when}，{city}召开{topic}工作会议，{actor}{action}，{actor2}{action2}。",
    "{place}有老师坦言，{topic}并不容易，但大家都认同{view}。",
    "{place}这些变化的背后，是一个朴素的理念：{view}。",
    "{place}还注重{topic}：{actor}{action}，{actor2}{action2}。",
    "“我们将{next}，{next2}。”{speaker}说，“{view}。”",
    "{month}月，{place}{actor}{action}，相关成果在{city}各校推广。",
    "{city}教育部门要求各区县{next}，{lead}{purpose}。",
    "谈到{topic}，{speaker}说，{view}，{relief}。",
    "{month}月{day}日，{actor}来到{place}，{action}，{lead}{purpose}。",
)


@dataclass(frozen=True, slots=True)
class Place:
    """A county-level unit and its city, in both languages."""

    code: str
    zh: str
    en: str
    city_zh: str
    city_en: str


def _romanize(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).capitalize()


def _english(zh: str, *, city: bool = False) -> str:
    stem, suffix = (zh[:-1], zh[-1]) if zh[-1] in _SUFFIX_EN and len(zh) > 2 else (zh, "")
    if city:
        return _romanize(stem)
    return f"{_romanize(stem)} {_SUFFIX_EN.get(suffix, 'District')}".strip()


@functools.cache
def places() -> tuple[Place, ...]:
    """Every county-level unit in ``cpca``'s adcodes table whose city is known.

    >>> all(p.code[4:6] != "00" for p in places()[:50])
    True
    """
    import cpca

    path = Path(cpca.__file__).parent / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as f:
        names = {row["adcode"][:6]: row["name"] for row in csv.DictReader(f)}
    out = []
    for code, name in sorted(names.items()):
        city = names.get(code[:4] + "00")
        if city in {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}:
            city = names.get(code[:2] + "0000")
        if code[4:6] == "00" or not city or len(name) < 2 or name == "市辖区":
            continue
        out.append(Place(code, name, _english(name), city, _english(city, city=True)))
    return tuple(out)


@functools.cache
def policies() -> tuple[tuple[str, str], ...]:
    """(English, Chinese) names from ``ontology/policies.tsv``."""
    with (REPO / "ontology" / "policies.tsv").open(encoding="utf-8") as f:
        return tuple((r["en"].strip('"'), r["zh"]) for r in csv.DictReader(f, delimiter="\t") if r.get("zh"))


def _cn_number(n: int) -> str:
    if n <= 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")


def _school(rng: random.Random, place: Place) -> tuple[str, str]:
    kind_zh, kind_en = rng.choice(_TYPES)
    style = rng.randrange(3)
    if style == 0:
        n = rng.randint(1, 60)
        return f"{place.zh}第{_cn_number(n)}{kind_zh}", f"{place.en} No. {n} {kind_en}"
    if style == 1:
        road = rng.choice(_ROADS)
        return f"{place.city_zh}{road}路{kind_zh}", f"{place.city_en} {_romanize(road)} Road {kind_en}"
    return f"{place.zh}实验{kind_zh}", f"{place.en} Experimental {kind_en}"


def _person(rng: random.Random) -> tuple[str, str]:
    sur, given = rng.choice(_SURNAMES), "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    return sur + given, f"{_romanize(given)} {_romanize(sur)}"


def _figures(rng: random.Random, place: Place, year: int) -> list[tuple[str, str]]:
    k, deg = rng.randint(2, 9), rng.randint(3, 90) * 30
    money, pct = rng.randint(12, 480) / 10, rng.randint(850, 999) / 10
    teachers = rng.randint(20, 900)
    return [
        (f"In {year}, {place.en} built {k} new public kindergartens and added {deg:,} public school places.",
         f"{year}年，{place.zh}新建公办幼儿园{k}所，新增公办学位{deg}个。"),
        (f"Nearly {money} million yuan was invested in school construction.",
         f"累计投入资金近{money}亿元用于学校建设。"),
        (f"The coverage rate of quality schools reached {pct}%.", f"优质学校覆盖率达到{pct}%。"),
        (f"A total of {teachers} teachers took part in exchanges in {year}.",
         f"{year}年共有{teachers}名教师参加交流轮岗。"),
    ]


def _sentences(rng: random.Random, place: Place, year: int) -> list[tuple[str, str]]:
    schools = [_school(rng, place) for _ in range(rng.randint(3, 6))]
    lead, members = schools[0], schools[1:]
    pol_en, pol_zh = rng.choice(policies())
    head_zh, head_en = _person(rng)
    group_en, group_zh = f"{lead[1]} Education Group", f"{lead[0]}教育集团"
    out = [
        (f"{place.en} of {place.city_en} has deepened the reform of {pol_en}.",
         f"{place.city_zh}{place.zh}持续深化{pol_zh}改革。"),
        (f"{head_en}, director of the {place.en} Education Bureau, said the district will build more good schools.",
         f"{place.zh}教育局局长{head_zh}表示，全区将建设更多优质学校。"),
        (f"{group_en} was set up with {lead[1]} as the lead school.",
         f"以{lead[0]}为龙头校，组建{group_zh}。"),
        (f"Its members include {', '.join(m[1] for m in members[:-1])} and {members[-1][1]}.",
         f"集团成员校包括{'、'.join(m[0] for m in members)}。"),
        (f"{members[0][1]} is located in {place.en}.", f"{members[0][0]}位于{place.zh}。"),
    ]
    return out + _figures(rng, place, year)


_SLOT = re.compile(r"\{([A-Za-z]+)([23]?)\}")


def _fill(rng: random.Random, template: str, vocab: dict[str, tuple[str, ...]], ctx: dict[str, str]) -> str:
    """A template with every ``{slot}`` drawn from ``vocab`` (or taken from ``ctx``).

    ``{slot2}`` and ``{slot3}`` draw values not drawn yet in this sentence; a capitalised slot
    (``{When}``) capitalises its value; values may hold slots of their own.

    >>> _fill(random.Random(1), "{Topic} and {topic2}.", {"topic": ("a", "b")}, {})
    'A and b.'
    """
    drawn: dict[str, set[str]] = {}

    def value(m: re.Match[str]) -> str:
        name, second = m.group(1), m.group(2)
        key = name.lower()
        if key in ctx:
            out = ctx[key]
        elif key == "day":
            out = str(rng.randint(1, 28))
        elif key == "sur":
            out = ctx["surnames"][rng.randrange(len(ctx["surnames"]))]
        else:
            choices = vocab[key]
            out = rng.choice(choices)
            while second and out in drawn.get(key, ()) and len(drawn[key]) < len(choices):
                out = rng.choice(choices)
            drawn.setdefault(key, set()).add(out)
            out = _SLOT.sub(value, out)
        return out[:1].upper() + out[1:] if name[0].isupper() else out

    return _SLOT.sub(value, template)


def narrative(rng: random.Random, lang: str, place: Place, month: int) -> Iterator[str]:
    """Endless narrative sentences around the facts: events, quotes, scenes, background, plans.

    >>> s = next(narrative(random.Random(0), "zh", places()[0], 3))
    >>> s.endswith("。")
    True
    """
    zh = lang == "zh"
    vocab, templates = (_NARR_ZH, _NARR_TEMPLATES_ZH) if zh else (_NARR_EN, _NARR_TEMPLATES_EN)
    ctx = {"place": place.zh if zh else place.en, "city": place.city_zh if zh else place.city_en,
           "month": str(month) if zh else _MONTHS_EN[month - 1],
           "surnames": _SURNAMES if zh else [_romanize(s) for s in _SURNAMES]}  # fmt: skip
    while True:  # every template once before any repeats
        for template in rng.sample(templates, len(templates)):
            yield _fill(rng, template, vocab, ctx)


def _units(facts: list[tuple[str, str]], pick: int) -> list[str]:
    """Fact sentences in order, a group and its members kept in one unit (9 sentences per block)."""
    out: list[str] = []
    sep = "" if pick else " "
    for k, fact in enumerate(facts):
        if k % 9 == 3:
            out[-1] += sep + fact[pick]
        else:
            out.append(fact[pick])
    return out


def _realistic_body(i: int, seed: int, lang: str, place: Place, month: int,
                    facts: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Paragraphs of a realistic article (facts in order among narrative, ≈ 4–5 KB per fact block)
    and its narrative sentences."""
    rng = random.Random(f"{seed}:{i}:narrative")
    blocks = len(facts) // 9
    low, high = REALISTIC_KB_PER_BLOCK
    target = min(max(blocks * rng.uniform(low, high), rng.uniform(5.0, 7.0)), 15.8) * 1000
    units = _units(facts, 1 if lang == "zh" else 0)
    size = sum(len(u.encode()) for u in units)
    story = narrative(rng, lang, place, month)
    filler = []
    while size < target:
        filler.append(next(story))
        size += len(filler[-1].encode()) + 1
    slots = sorted(rng.sample(range(len(units) + len(filler)), len(units)))
    body, f, u = [], iter(filler), iter(units)
    for k in range(len(units) + len(filler)):
        body.append(next(u) if slots and k == slots[0] else next(f))
        if slots and k == slots[0]:
            slots.pop(0)
    sep = "" if lang == "zh" else " "
    paragraphs, k = [], 0
    while k < len(body):
        n = rng.randint(2, 6)
        paragraphs.append(sep.join(body[k : k + n]))
        k += n
    return paragraphs, filler


def make_article(i: int, *, seed: int = 0, zh_share: float = 0.5, density: str = "realistic") -> dict[str, str]:
    """Article number ``i`` of the corpus ``seed`` as a JSONL record (title, date, url, language, text).

    ``density="realistic"`` (default) sets the facts among narrative (5–16 KB, like the seed
    articles); ``"dense"`` is the old shape: the same facts among a few fixed filler sentences
    (≈ 2–3 KB).  Both kinds carry the same fact sentences for the same ``i``.

    >>> a, b = make_article(3), make_article(3, density="dense")
    >>> len(a["text"].encode()) > 2 * len(b["text"].encode()), a["title"] == b["title"]
    (True, True)
    """
    return compose(i, seed=seed, zh_share=zh_share, density=density)[0]


def compose(i: int, *, seed: int = 0, zh_share: float = 0.5,
            density: str = "realistic") -> tuple[dict[str, str], list[str]]:
    """:func:`make_article`'s record and the filler (non-fact) sentences it holds.

    >>> rec, filler = compose(5, density="dense")
    >>> all(s in rec["text"] for s in filler)
    True
    """
    if density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES}, not {density!r}")
    rng = random.Random(f"{seed}:{i}")
    lang = "zh" if rng.random() < zh_share else "en"
    place = rng.choice(places())
    year = rng.randint(2018, 2024)
    month = rng.randint(1, 12)
    date = f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
    facts = _sentences(rng, place, year)
    for _ in range(rng.randint(0, 2)):  # neighbouring districts of the same city
        near = [p for p in places()[max(0, places().index(place) - 8):][:16] if p.city_zh == place.city_zh]
        facts += _sentences(rng, rng.choice(near), year)
    pick = 1 if lang == "zh" else 0
    sep = "" if lang == "zh" else " "
    if density == "dense":
        fillers = _FILLER_ZH if lang == "zh" else _FILLER_EN
        filler = [rng.choice(fillers) for _ in range(rng.randint(6, 14))]
        body = [f[pick] for f in facts] + filler
        rng.shuffle(body)
        paragraphs = [sep.join(body[k : k + 3]) for k in range(0, len(body), 3)]
    else:
        paragraphs, filler = _realistic_body(i, seed, lang, place, month, facts)
    title = f"{place.city_zh}{place.zh}：推进教育优质均衡发展" if lang == "zh" else \
        f"{place.en}, {place.city_en}: building quality education for all"
    rec = {"title": title, "date": date, "url": f"https://example.org/news/{seed}/{i}", "language": lang,
           "text": title + "\n\n" + "\n\n".join(paragraphs)}
    return rec, filler


def iter_corpus(n: int, *, seed: int = 0, zh_share: float = 0.5,
                density: str = "realistic") -> Iterator[dict[str, str]]:
    """The first ``n`` articles of corpus ``seed`` (``density``: see :func:`make_article`)."""
    for i in range(n):
        yield make_article(i, seed=seed, zh_share=zh_share, density=density)


def write_corpus(dest: Path, n: int, *, seed: int = 0, zh_share: float = 0.5,
                 density: str = "realistic") -> dict[str, int]:
    """Write ``n`` articles as ``dest/{en,zh}/{en,zh}-NNNN.jsonl`` (≤1000 lines each); returns counts.

    >>> import tempfile
    >>> write_corpus(Path(tempfile.mkdtemp()), 3, seed=2)["articles"]
    3
    """
    counts = {"articles": 0, "en": 0, "zh": 0, "chars_en": 0, "chars_zh": 0, "bytes_en": 0, "bytes_zh": 0}
    files: dict[str, object] = {}
    try:
        for i, rec in enumerate(iter_corpus(n, seed=seed, zh_share=zh_share, density=density)):
            lang = rec["language"]
            key = f"{lang}/{lang}-{i // PER_FILE:04d}.jsonl"
            if key not in files:
                (dest / lang).mkdir(parents=True, exist_ok=True)
                files[key] = (dest / key).open("w", encoding="utf-8")
            files[key].write(json.dumps(rec, ensure_ascii=False) + "\n")
            counts["articles"] += 1
            counts[lang] += 1
            counts["chars_" + lang] += len(rec["text"])
            counts["bytes_" + lang] += len(rec["text"].encode())
    finally:
        for f in files.values():
            f.close()
    return counts
