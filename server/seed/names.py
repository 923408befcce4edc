"""Words the demo county is made of: people's names, place names, cities, snippets of text.

Everything here is plain data plus small pickers that take the caller's
``random.Random``, so a seed fully decides what comes out.
"""

import itertools

# --- people -------------------------------------------------------------------------------

# Common surnames with rough weights (national frequency, with the north-east Sichuan
# flavour of 何, 罗, 苟, 蒲, 岳, 冉, 向, 谯 turned up).
SURNAMES = (
    ("王", 70), ("李", 70), ("张", 65), ("刘", 55), ("陈", 50), ("杨", 45), ("何", 30),
    ("罗", 28), ("赵", 25), ("黄", 25), ("周", 22), ("吴", 20), ("徐", 16), ("孙", 14),
    ("胡", 14), ("朱", 13), ("高", 12), ("林", 10), ("郭", 10), ("马", 10), ("苟", 10),
    ("蒲", 9), ("岳", 9), ("冉", 8), ("向", 8), ("唐", 12), ("谢", 10), ("邓", 12),
    ("曾", 10), ("彭", 10), ("肖", 9), ("田", 8), ("袁", 8), ("蒋", 8), ("余", 9),
    ("杜", 7), ("苏", 6), ("魏", 6), ("吕", 5), ("任", 7), ("姚", 5), ("谭", 6),
    ("廖", 6), ("汪", 5), ("范", 5), ("石", 5), ("贾", 4), ("夏", 4), ("付", 5),
    ("熊", 5), ("秦", 4), ("江", 4), ("段", 4), ("雷", 5), ("侯", 4), ("龙", 4),
    ("文", 4), ("严", 3), ("牟", 4), ("谯", 3), ("庞", 3), ("宋", 6), ("郑", 6),
)
_SURNAME_CHARS = tuple(s for s, _ in SURNAMES)
_SURNAME_CUM = tuple(itertools.accumulate(w for _, w in SURNAMES))

# Given-name characters by generation: older people carry the names of their time.
GIVEN_OLD_MALE = "德福贵明清国华忠富林成发全文海春山兴荣祥广寿学志正元明永定道绍仁义礼光宗良才"
GIVEN_OLD_FEMALE = "秀英兰芳珍玉桂凤淑华琼素翠菊梅兰芝群蓉容碧书春惠莲香云"
GIVEN_MID_MALE = "建国军平强伟勇兵红卫东波刚涛斌峰超辉明俊杰勤晓洪林志宏庆云川"
GIVEN_MID_FEMALE = "丽红霞燕萍敏静琴梅艳娟莉华春英芳蓉娇玲琳冬晓容莎兰"
GIVEN_NEW_MALE = "浩宇杰鑫涛磊鹏航帅锐凯阳博文轩豪俊毅晨旭鹤川瑞哲程昊"
GIVEN_NEW_FEMALE = "婷雪佳欣怡悦琪瑶颖梦雨露琳倩茜月洁璐丹蕾思萌"


def _surname(rng):
    pick = rng.random() * _SURNAME_CUM[-1]
    lo, hi = 0, len(_SURNAME_CUM) - 1
    while lo < hi:  # bisect by hand: this runs for every one of 118,000 people
        mid = (lo + hi) // 2
        if _SURNAME_CUM[mid] < pick:
            lo = mid + 1
        else:
            hi = mid
    return _SURNAME_CHARS[lo]


def person_name(rng, sex, birth_year):
    """A surname and one or two given characters fitting the person's sex and generation."""
    male = sex == "male"
    if birth_year < 1960:
        pool = GIVEN_OLD_MALE if male else GIVEN_OLD_FEMALE
        double = 0.7
    elif birth_year < 1990:
        pool = GIVEN_MID_MALE if male else GIVEN_MID_FEMALE
        double = 0.55
    else:
        pool = GIVEN_NEW_MALE if male else GIVEN_NEW_FEMALE
        double = 0.55
    given = rng.choice(pool)
    if rng.random() < double:
        second = rng.choice(pool)
        if second != given:
            given += second
    return _surname(rng) + given


def masked_person(rng):
    """How a ledger names a third party: ``王某某``."""
    return _surname(rng) + rng.choice(("某某", "某"))


# --- places -------------------------------------------------------------------------------

COUNTY_NAME = "巴山县"
COUNTY_CODE = "510822"
CITY_NAME = "巴州市"

# Township stems: the generic hill-country names of north-east Sichuan.
TOWNSHIP_STEMS = (
    "青龙", "白鹤", "金山", "石桥", "柏林", "双河", "三溪", "龙泉", "马鞍", "观音",
    "凤凰", "黄桷", "清水", "高峰", "新场", "永安", "太平", "长乐", "兴隆", "大河",
    "土门", "岩峰", "回龙", "白庙", "铁佛", "望江", "麒麟", "云台", "九龙", "元坝",
    "灵山", "金鸡", "桂花", "红岩", "天池", "银山", "福星", "涌泉", "文昌", "东河",
    "西溪", "南阳", "北山", "鹿鸣", "得胜", "佛楼", "驷马", "江口", "板庙", "五木",
)

_VILLAGE_FIRST = "红光新大小石柏松竹桃杨黄白青金龙凤马鹿鹤兴和平安福寿丰民胜团明东西南北上中高双长永天玉"
_VILLAGE_SECOND = "光华星山河溪坪坝垭岩湾沟梁庙桥林园塘井田家坡台峰嘴院包"
# The names villages got in the 1950s-60s, still everywhere.
_VILLAGE_CLASSIC = (
    "团结", "光明", "红星", "胜利", "新华", "和平", "前进", "幸福", "联合", "永兴",
    "民主", "先锋", "建设", "东风", "红旗", "五一", "八一", "丰收", "向阳", "友谊",
)


def village_names(rng, count):
    """``count`` village stems, unique within the county."""
    names = list(_VILLAGE_CLASSIC)
    rng.shuffle(names)
    seen = set(names)
    pool = [a + b for a in _VILLAGE_FIRST for b in _VILLAGE_SECOND if a != b]
    rng.shuffle(pool)
    for name in pool:
        if name not in seen:
            seen.add(name)
            names.append(name)
    # Mostly generated ones, a classic now and then.
    mixed = names[len(_VILLAGE_CLASSIC):]
    for classic in names[:len(_VILLAGE_CLASSIC)]:
        mixed.insert(rng.randrange(len(mixed) + 1), classic)
    return mixed[:count]


GROUP_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
STREETS = ("解放街", "新华路", "滨河路", "中心街", "建设路", "人民路", "老街")


def address(rng, is_community):
    if is_community:
        return f"{rng.choice(STREETS)} {rng.randint(1, 180)} 号"
    return f"{rng.choice(GROUP_NUMERALS[:rng.randint(4, 12)])}组 {rng.randint(1, 60)} 号"


# Where the county's migrants work: (city, province), with weights.
WORK_CITIES = (
    ("广州", "广东", 16), ("深圳", "广东", 14), ("东莞", "广东", 12), ("佛山", "广东", 5),
    ("上海", "上海", 10), ("成都", "四川", 14), ("重庆", "重庆", 9), ("杭州", "浙江", 6),
    ("宁波", "浙江", 4), ("温州", "浙江", 3), ("苏州", "江苏", 6), ("北京", "北京", 4),
    ("西安", "陕西", 3), ("厦门", "福建", 3), ("乌鲁木齐", "新疆", 2),
)
_CITY_WEIGHTS = tuple(w for *_x, w in WORK_CITIES)


def work_city(rng):
    city, province, _weight = rng.choices(WORK_CITIES, weights=_CITY_WEIGHTS)[0]
    return city, province


_EMPLOYER_WORDS = ("华兴", "宏达", "鑫源", "永盛", "金辉", "恒通", "瑞丰", "长城", "联创", "东方")
_EMPLOYER_KINDS = (
    "电子有限公司", "建筑工程有限公司", "物流有限公司", "服装厂", "机械制造有限公司",
    "物业服务有限公司", "家具厂", "保安服务有限公司", "餐饮管理有限公司", "汽车配件有限公司",
)


def employer(rng, city):
    return f"{city}{rng.choice(_EMPLOYER_WORDS)}{rng.choice(_EMPLOYER_KINDS)}"


# Mobile prefixes in use (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "173", "177", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
)


def mobile(rng):
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


# --- health -------------------------------------------------------------------------------

# condition -> (chance for someone over 60, chance for someone younger, medication)
CONDITIONS = {
    "高血压": (0.45, 0.08, "硝苯地平缓释片"),
    "糖尿病": (0.18, 0.03, "二甲双胍片"),
    "慢阻肺": (0.12, 0.01, "沙丁胺醇气雾剂"),
    "关节炎": (0.30, 0.06, "布洛芬缓释胶囊"),
    "冠心病": (0.10, 0.01, "阿司匹林肠溶片"),
    "脑梗后遗症": (0.06, 0.005, "阿托伐他汀钙片"),
    "腰椎间盘突出": (0.10, 0.07, "塞来昔布胶囊"),
    "慢性胃炎": (0.08, 0.06, "奥美拉唑肠溶胶囊"),
}

DISABILITIES = (
    "左下肢枪伤致行走不便", "右臂弹片伤致功能障碍", "听力损伤", "右眼视力损伤",
    "腰部伤致不能负重", "左手手指缺失", "头部外伤后遗症", "胸部弹片残留",
)

HOSPITALS = (
    "巴山县人民医院", "巴山县中医医院", "巴州市中心医院", "巴山县第二人民医院",
    "四川大学华西医院", "巴州市中医医院",
)

ILLNESSES = (
    "肺部感染", "高血压急症", "脑梗塞", "糖尿病并发症", "慢阻肺急性发作", "股骨颈骨折",
    "冠心病心绞痛", "胆结石", "带状疱疹", "重感冒发热",
)

DOCTOR_SURNAMES = "王李张刘陈杨何罗赵周"


def family_doctor(rng, township_name):
    return f"{township_name}卫生院 {rng.choice(DOCTOR_SURNAMES)}医生"


# --- what visits, cases and feedback say --------------------------------------------------

LIVING = (
    "生活稳定，吃穿不愁", "家中收入主要靠种养殖，生活尚可", "独居，生活能够自理",
    "与子女同住，生活有保障", "住房较旧，生活基本稳定", "优抚金按时领取，生活平稳",
)
PRODUCTION = (
    "种植玉米、水稻，长势良好", "养猪 6 头，准备年底出栏", "种植食用菌，销路不错",
    "年纪大，已不从事农业生产", "在家附近打零工", "稻田养鱼，收入增加",
    "种植茶叶 3 亩", "养鸡鸭 30 余只",
)
HEALTH_NOTES = (
    "身体健康", "血压偏高，按时服药", "腿脚不便，行动较慢", "精神状态良好",
    "有慢性病，定期到卫生院复查", "近期感冒已好转",
)
NEEDS = (
    "希望帮助申请危房改造补助", "咨询优抚金提标政策", "希望联系卫生院上门体检",
    "询问子女就业培训信息", "希望解决饮水管道老化问题", "咨询大病医疗救助办理流程",
)
ACTIONS = (
    "已讲解相关政策", "已向乡镇民政办反映", "已联系村医上门", "已协助填写申请表",
    "已登记，下次走访回复",
)
RETURN_COMMENTS = (
    "照片不清晰，请补拍", "未写明诉求处理情况，请补充", "走访日期与实际不符，请核实",
    "健康情况记录过于简单，请补充",
)

HARDSHIP_DIFFICULTIES = {
    "housing": ("住房为土坯房，雨季漏雨", "房屋墙体开裂，属 C 级危房"),
    "medical": ("长期服药，医药费负担重", "需做手术，自付部分无力承担"),
    "living": ("家中主要劳动力患病，收入中断", "独居老人，缺少照料"),
}
HARDSHIP_PLANS = {
    "housing": "五定一包：定时间（三个月内）、定内容（危房改造）、定规划、定目标、定效果，包问题解决",
    "medical": "五定一包：协助申请医疗救助，联系县医院绿色通道，每月回访",
    "living": "五定一包：申请临时救助，帮助发展养殖项目，每月回访",
}
HARDSHIP_PLEDGES = {
    "housing": "协调危房改造补助 2 万元",
    "medical": "协助申请重点优抚对象医疗救助",
    "living": "申请临时救助 1500 元，赠送仔猪 2 头",
}
HELPER_POSTS = ("镇党委副书记", "镇民政办主任", "县民政局干部", "村支部书记", "驻村第一书记")

MERITS = ("荣立三等功", "荣立二等功", "被评为优秀士兵", "被评为四有优秀士兵", "获嘉奖")
AWARDS = ("喜报一份、奖励优待金 2000 元", "喜报一份、慰问品", "喜报一份、奖励优待金 1000 元")

MEDIATION_TEXT = {
    "family": ("赡养老人问题产生分歧", "分家析产引发矛盾"),
    "neighbour": ("宅基地界线与邻居发生争执", "排水沟渠堵塞引发邻里纠纷"),
    "land": ("承包地边界不清", "土地流转租金未按时支付"),
    "labour": ("在外务工被拖欠工资", "工伤赔偿未落实"),
    "military_rights": ("优待金发放存在争议", "退役安置待遇未落实"),
}
MEDIATION_REFERRALS = ("县人民法院", "县人武部维护军人合法权益办公室", "县司法局法律援助中心")
MEDIATION_OUTCOMES = (
    "双方达成书面调解协议，当场签字", "经调解双方和解，矛盾化解", "按协议分期支付，已履行首期",
)
SESSION_NOTES = (
    "分别听取双方意见，做思想工作", "组织双方当面协商，初步达成意向", "村调委会、民政联络员共同调解",
    "实地查看现场，核实情况", "回访协议履行情况",
)

CONTACT_NOTES = {
    "phone": ("电话联系，工作稳定，身体健康", "询问返乡时间，告知走访日活动",
              "反映工资拖欠问题，已转维权中心", "告知优抚金提标政策"),
    "wechat": ("微信发送《基本法律法规知识读本》电子版", "询问子女入学政策，已解答",
               "微信告知春风行动招聘信息"),
    "sms": ("短信提醒参加退役军人技能培训", "短信告知连心卡热线电话变更"),
    "visit": ("春节返乡期间当面走访", "返乡期间到家中了解情况"),
    "other": ("托家属转达走访日活动安排",),
}

FEEDBACK_TEXT = {
    "policy": ("请问在外务工期间优抚金怎么领取？", "退役士兵参加职工医保有没有补贴？",
               "想了解义务兵家庭优待金的发放标准。"),
    "rights": ("老板拖欠三个月工资，希望帮忙维权。", "工地受伤后单位不给赔偿，怎么办？"),
    "employment": ("想回乡搞养殖，有没有创业贷款？", "希望参加退役军人技能培训，哪里报名？"),
    "suggestion": ("建议连心卡增加微信群联系方式。", "希望走访日能提前通知在外家属。"),
    "other": ("家里老人一个人在家，麻烦村里多照看。", "感谢民政局的关心！"),
}
# what villagers tell their liaison (意见收集)
OPINION_TEXT = {
    "policy": ("想问今年的优待金什么时候发放。", "老伴去世后，遗属补助怎么申请？"),
    "rights": ("承包地被邻居占了一块，希望帮忙协调。", "孙子入学没享受到优待，想问问原因。"),
    "employment": ("儿子退伍回来想学门手艺，有没有培训？",),
    "suggestion": ("村里到镇上的路坑洼多，建议修一修。", "希望走访时能请村医一起来量量血压。"),
    "other": ("家里的房子漏雨，想问能不能申请危房改造。",),
}
OPINION_REPLIES = {
    "policy": ("优待金于下月 10 日前发放到一卡通，请转告本人。", "遗属补助由家属持证件到乡镇民政办申请。"),
    "rights": ("已请村调委会上门调解，镇司法所跟进。", "已与县教育局核实，本学期起补发。"),
    "employment": ("县退役军人技能培训班下月开班，已为其报名。",),
    "suggestion": ("已转交通部门列入明年村道维修计划。", "已协调乡镇卫生院每月随访一次。"),
    "other": ("已安排住建部门上门查看，符合条件的列入改造计划。",),
}

FEEDBACK_REPLIES = {
    "policy": ("已电话回复，并寄送相关政策材料。", "已告知办理流程和所需材料，可由家属代办。"),
    "rights": ("已转驻外维权中心协调处理，工资已追回。", "已联系当地法律援助中心，协助申请工伤认定。"),
    "employment": ("已推荐参加县退役军人技能培训班，并告知创业担保贷款政策。",),
    "suggestion": ("已记录建议，将在下一批连心卡中采纳。", "感谢建议，已转相关股室研究。"),
    "other": ("已转告村民政信息联络员上门看望。", "感谢您的支持，欢迎继续提出意见。"),
}

# A prefecture's other counties, for seeding several side by side in one database
# (``seed_county(counties=N)``): the demo county first, then these, each with its own code.
PREFECTURE = ((COUNTY_CODE, COUNTY_NAME), ("510823", "青峰县"), ("510824", "云台县"),
              ("510825", "龙溪县"))
