"""Cues: the words (regular expressions) that mark what a normalised question asks, and the rules built on them
alone (personal requests, phases named from today)."""

from __future__ import annotations

import re

# 活动 is this campaign, except in 学习实践活动 (the earlier campaign the file refers to).
THIS_CAMPAIGN = "(?<!学习实践)活动"

# Cues: the words (each a regular expression) that mark what a question asks. A cue matches when any of its
# words occurs in the normalised question.
CUES = {
    "first_person": ("我", "俺", "本人", "咱"),
    "definition": ("是什么", "什么是", "什么意思", "含义", "定义", "要求", "怎么", "做什么", "要做", "怎样", "如何", "多久",
                   "几次", "频率", "什么时候", "应该", "为什么", "(帮|做|干|管|抓)些?什么"),
    "unbind": ("解绑", "解除绑定", "取消绑定", "unbind"),
    "help": ("^(帮助|help|菜单|功能|说明|使用说明|使用帮助|求助|帮我)$", "怎么用", "如何使用", "怎么使用", "使用方法",
             "你能做什么", "能做什么", "能干什么", "你会什么", "有什么功能", "有哪些功能", "能帮我做什么", "可以做什么",
             "^帮助一下", "(怎么|如何)\\S{0,2}(上报|报|发|交)\\S{0,2}(走访|照片|相片)", "(怎么|如何)\\S{0,2}绑定", "绑定\\S{0,3}(怎么|如何)",
             "绑定码\\S{0,2}(在哪|哪里|哪儿|怎么|找谁|问谁)"),
    "visits": ("我的走访", "走访记录", "走访情况", "走访了几次", "走访过", "我走访", "入户记录", "我的入户", "走访历史",
               "走访次数", "我的照片"),
    "households": ("(联系|结对|帮扶|包|联)的?(农牧户|农户|牧户|户)", "(联系|结对|帮扶|包)了?(哪|几|多少)\\S{0,2}户",
                   "帮扶对象", "我的农户", "我联系谁", "我联系的$", "联系户", "我的户", "我的联系人"),
    "own_list": ("我的", "(哪|几|多少)\\S{0,2}户", "名单", "是谁", "都有谁", "电话"),
    "pairings": ("我的结对", "我的结队", "结对情况", "结对关系", "我的帮扶关系", "我的联系点",
                 "(我|我们|本|咱们)(单位)?(联系|结对|包)的?(村|学校|点|示范点|组织|团组织)",
                 "单位(联系|结对)的?(村|学校|点|示范点)", "我联系的(村|学校)"),
    "greeting": ("^(你好|您好|hi|hello|嗨|哈喽|在吗|在不在|早上好|上午好|下午好|晚上好|早)[!.~啊呀]*$",),
    "thanks": ("^(谢谢|多谢|感谢|thanks|thank you|好的|收到|明白了|知道了|ok|好)[!.~啊呀您你了]*$",),
    "last_phase": ("最后一?个?阶段", "最末一?个?阶段"),
    "phases": ("几个阶段", "哪些阶段", "哪几个阶段", "多少个阶段", "四个阶段", "阶段划分", "分为", "分成", "分几", "各阶段",
               "各个阶段", "所有阶段", "方法步骤", "[一1][二2、，,和]*[三3]个?阶段", "每个阶段都叫", "活动步骤", "几步", "步骤"),
    "current": ("现在", "目前", "当前", "现阶段", "本阶段", "这个阶段", "这阶段", "今天", "眼下", "此刻", "这会", "这阵", "这段时间", "如今",
                "哪个阶段", "什么阶段", "哪一阶段", "哪个时期", "进行到", "到哪", "进度", "处于", "下一阶段", "下个阶段"),
    "progress": ("进行到哪", "到哪一步", "现在什么进度"),
    "days": ("几天", "多少天", "几个月", "多少个?月", "多少日", "几日", "还有多久", "还剩多久", "倒计时", "还有多长时间", "还剩多长时间", "多长时间(结束|截止|到期)",
             "快(到)?了", "还远(吗|不)", "近了吗"),  # 专项表彰是不是快了: how near it is (class: time-aware)
    # "Can we still make it?" / "has it passed?" about a deadline (class: time-aware).
    "still": ("按期", "按时", "算不算", "来得及", "赶得上", "赶得及", "还能", "还可以", "还算数", "还算不算", "还有效",
              "补还", "过了没", "过期", "截止了没", "截止了吗", "到期了", "晚了",
              "(结束|截止|过)了?没有",
              # …or presumes it is done, which asks whether its day has passed: 方案该收齐了吧, 都报上来了吧
              "(收|交|报|缴)齐", "(该|应该|都|早)\\S{0,3}(完|交|报|开|收|齐)\\S{0,2}了(吧|吗|没|$)"),
    "month": ("这个月", "本月", "这月", "当月", "这一个月", "本周", "这周", "这个星期", "最近要做", "近期要做"),
    "unit": ("(我们|我|本|咱们|咱)(单位|县委|市委|县市委|县|支部|党支部|党委|党工委|组织|村|乡|镇|部门|机关)", "单位",
             "^(我们|咱们|俺们|咱|我)(还|现在|这边|下一步|接下来)?(要|该|得|需要)",
             "^那?(现在|目前|眼下|下一步|接下来|最近|这会儿?|这阵儿?子?|这段时间|如今)(我们|咱们)?(还)?(该|要|得|需要)(做|干)"),
    "task": ("做什么", "要做", "要弄", "要开", "开的是", "要召开", "要报", "要交", "要定", "要搞", "任务", "事项", "什么工作", "要求", "截止", "完成什么", "负责", "干什么", "有什么事", "安排"),
    "deadlines": ("截止", "deadline"),
    # Facts the source never gives, each with why it is declined (class: decline-no-number): answered before any
    # rule can half-answer them with a near fact.
    "no_money": ("多少钱", "补助", "补贴", "经费", "预算", "资金", "奖金", "工资", "拨款", "(多少|几)(元|块|万)"),
    "no_place": ("在哪(里|儿)?(开会|召开|开$|开呢|开啊)", "什么地方开", "地点", "会场", "在哪里举行", "在哪举行", "设在哪", "地址",
                 "在哪办公", "在哪里办公"),
    "no_person": ("哪位(领导|同志|书记)", "是谁(讲|主持|作)", "谁(讲|主持)的", "讲话的是谁", "讲话的是哪","(书记|县长|州长|主任|部长|局长|乡长|镇长|村长|组长)(是谁|叫什么|姓什么|名字)",
                  "(谁|领导|同志|人|他|她)\\S{0,3}(叫什么名字|姓什么)"),  # 三大工程叫啥名字 asks what a thing is called
    "no_hour": ("几点钟?(开|召开|开始|结束|到)", "什么时辰", "上午还是下午"),
    "no_number": ("名额", "(多少|几)个?(份|名|位|家|所|批)", "比例", "百分之", "百分比", "多少比例",
                  "(多少|几)个?(单位|党员|先进|支部|党组织|村|学校|干部|典型|集体|个人|党委|工委|人次|场|期)",
                  "(一年|每年|每月|每周|每季度|一个月|一周)\\S{0,6}(几|多少)次"),
    # …and phones and head counts, which the roster holds for a cadre's own households: unsourced unless asked
    # in the first person.
    "roster_facts": ("人数", "电话", "手机号", "联系方式", "(多少|几)个?人", "(多少|几)个?户"),
    # Another campaign than this one named (class: decline-other-campaign) …
    "other_campaign": ("基层组织建设年", "组织建设年", "双联行动", "联村联户", "为民富民", "群众路线", "两学一做",
                       "三严三实", "不忘初心", "牢记使命", "主题教育", "党史学习教育",
                       "先进性教育", "四风", "八项规定", "扫黑除恶", "脱贫攻坚", "精准扶贫", "乡村振兴", "讲党性",
                       "学习型党组织", "学习实践活动", "学习实践科学发展观活动", "三讲", "党的群众路线", "四史"),
    # … unless the question asks how this campaign relates to it (the source compares it with 学习实践活动).
    "relation": ("不一样", "不同", "一样吗", "异同", "关系", "区别", "联系", "成果", "经验", "借鉴", "相比", "和创先争优", "与创先争优", "跟创先争优"),
    # A task not done yet, and what to do now (class: time-aware, "what now"): 动员会议还没开 现在咋办.
    "not_yet": ("还没", "(没|未)(有)?(开|做|交|报|定|弄|搞|完成|召开|上报|制定)"),
    "what_now": ("怎么办", "咋办", "怎么弄", "咋弄", "咋整", "怎么补", "咋补", "怎么处理"),
    # Yes or no about a day of a phase (class: time-aware): 今天是不是第一阶段最后一天.
    "yes_no": ("是不是", "是否", "吗$", "不$", "没$", "是吧$", "对吧$", "了吧$", "对不对", "没错吧"),
    "last_day": ("今天(就)?(结束|完|截止)", "最后(1|一)天", "最后1日", "截止那天", "结束那天"),
    "first_day": ("第(1|一)天", "头(1|一)天", "开始那天"),
    # The qualities a thing must have (class: inside-paragraph): 典型要符合啥标准, 要树什么样的典型.
    "qualities": ("标准", "条件", "什么样", "哪些特点", "具备什么"),
    # What a step is for (class: inside-paragraph): 确定活动主题要达到什么效果.
    "effect": ("效果", "目的", "为了什么", "为了啥", "起什么作用"),
    # A question that wants a date: only phases, deadlines and dated topics can answer it.
    "date_asked": ("什么时候", "哪年", "哪一年", "几月", "哪个月", "日期"),
    # Why the campaign is held at all (class: colloquial, why): the source's section on its significance answers.
    "why": ("为什么", "为何", "干嘛要", "有什么用", "图个?什么"),
    # The day after today named (class: time-aware, compound): 明天开始啥阶段.
    "tomorrow": ("明天", "明日", "明儿"),
    "report_to": ("(报|交|送)(给|到)(哪|谁|什么地方)", "(向|给)谁(报|交)"),
    "next_month": ("下个?月(?!底|初|中|\\d)",),
    "next": ("下一个", "下个", "下一项", "最近", "接下来", "即将", "马上", "快到", "临近", "近期", "还有什么", "还有哪些"),
    "when": ("什么时候", "之前", "以前", "前要", "日期", "几月", "多久", "多长时间", "哪年", "哪个月", "最晚", "最迟"),
    "campaign_span": (rf"({THIS_CAMPAIGN}|创先争优|整个)\S*(什么时候|多久|多长时间|哪年|几月)\S*(开始|结束|截止|完事|算完)",
                      rf"(什么时候|哪年)\S*({THIS_CAMPAIGN}|创先争优)\S*(开始|结束)",
                      rf"({THIS_CAMPAIGN}|创先争优)\S{{0,2}}(开始|结束)\S{{0,3}}(还有|还剩)",
                      rf"({THIS_CAMPAIGN}|创先争优)\S{{0,4}}(还在|还搞|还在搞|还在进行|完事|结束了没|完了没|还有没有)",
                      rf"({THIS_CAMPAIGN}|创先争优|整个)\S*(开始|结束)\S*(什么时候|时间|哪年)", "持续多久", "持续多长", "搞多久",
                      "搞到什么时候", rf"(整个|{THIS_CAMPAIGN}|创先争优)\S{{0,3}}(时间范围|时间段|起讫时间|时间跨度)",
                      rf"({THIS_CAMPAIGN}|创先争优)\S{{0,2}}(起止|起讫|始末|首尾)",
                      rf"({THIS_CAMPAIGN}|创先争优)\S{{0,3}}到(什么时候|哪年|哪一年)", f"{THIS_CAMPAIGN}还有几天",
                      f"{THIS_CAMPAIGN}还剩几天", rf"({THIS_CAMPAIGN}|创先争优)\S*(结束|开始)(了吗|了没有?|没有|吗|了)",
                      rf"({THIS_CAMPAIGN}|创先争优|整个)\S*(多长时间|多久|多长|时间跨度|几年|多少年)"),
}
# 这个阶段 / 下个阶段 / 上个阶段: a phase named by where it stands from today (class: time-aware). Not 下一阶段 in
# "能不能先干下一阶段" (moving on before a phase is done), which the source's rule on moving on answers.
_RELATIVE_PHASE = {
    0: re.compile(r"(这个?|本|现|当前|目前|眼下)(一个?)?阶段(?!是|吗|呢)"),
    1: re.compile(r"(下一?个?|(?<!最)后一?个?|接下来的?)阶段"),
    -1: re.compile(r"(上一?个?|前一?个?)阶段"),
}
MOVE_ON = re.compile(r"(没|未)(做|干|搞|弄|整)?完|(能不能|可不可以|能否|可以|行不行)\S{0,4}(先|提前|进入|转入|转到)|"
                      r"(能|可以)(进|往|转|到)\S{0,2}(下一?个?|第\d)阶段")
CUE_PATTERNS = {name: re.compile("|".join(words)) for name, words in CUES.items()}
PHASE = re.compile(r"第(\d+)阶段")
PHASE_ENDED = re.compile(r"第(\d+)阶段(都|已经|已)?(结束|完|过)")  # a phase said to have ended, before the one asked
PHASE_WORD = re.compile(r"第\d+|阶段")
MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日")


def cue(name: str, text: str) -> bool:
    """True when the normalised text carries the cue (see CUES)."""
    return CUE_PATTERNS[name].search(text) is not None


def relative_phase_named(text: str) -> bool:
    """True when the question names a phase relative to today (这个阶段, 下个阶段) and asks about it, not which it is."""
    if MOVE_ON.search(text) or cue("phases", text) or re.search(r"(哪个|什么|哪一|第几)(个)?阶段", text):
        return False
    return any(pattern.search(text) for pattern in _RELATIVE_PHASE.values())


def with_phase_numbers(text: str, current: int) -> str:
    """The text with 这个阶段 / 下个阶段 / 上个阶段 written as 第N阶段, counting from the current phase."""
    for step, pattern in _RELATIVE_PHASE.items():
        if current + step > 0:
            text = pattern.sub(f"第{current + step}阶段", text)
    return text


def personal_intent(text: str) -> str | None:
    """my_households / my_pairings / my_visits / help / unbind when the text asks for one of them, else None."""
    bare = text.strip("?!.。，, ")
    if cue("unbind", bare):
        return "unbind"
    if cue("help", bare):
        return "help"
    if cue("visits", bare):
        return "my_visits"
    mine = cue("first_person", bare)
    households_text = bare if mine else bare.replace("干部联户", "").replace("联户", "")
    # 干部联户我要干啥 asks what the pairing asks of a cadre; 我的联系户 / 我联系哪几户 asks for the list
    if cue("households", households_text) and (not cue("definition", bare) or cue("own_list", bare)):
        return "my_households"
    if cue("pairings", bare):
        return "my_pairings"
    return None
