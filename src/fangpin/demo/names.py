"""Word lists for synthetic people and places.

Surname shares follow the published ranking of the most common Chinese surnames (per cent of the
population, rounded); the rest of the mass goes to a list of less common surnames in equal parts.
Given names are drawn from characters typical of each sex and birth cohort, so that a grandmother is
called 秀英 and her granddaughter 梓涵. Place-name syllables are common in south-western rural toponyms;
combinations are random, so any match with a real place is a coincidence.
"""

import bisect
import random
import types

# (surname, share of population in per cent)
COMMON_SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.12), ("李", 7.00), ("张", 6.74), ("刘", 5.43), ("陈", 4.71), ("杨", 3.30), ("黄", 2.25),
    ("赵", 2.22), ("吴", 2.03), ("周", 1.93), ("徐", 1.42), ("孙", 1.33), ("马", 1.24), ("朱", 1.21),
    ("胡", 1.15), ("郭", 1.11), ("何", 1.08), ("林", 1.01), ("高", 1.00), ("罗", 0.98), ("郑", 0.87),
    ("梁", 0.85), ("谢", 0.76), ("宋", 0.75), ("唐", 0.74), ("许", 0.69), ("韩", 0.68), ("冯", 0.66),
    ("邓", 0.64), ("曹", 0.64), ("彭", 0.63), ("曾", 0.61), ("肖", 0.60), ("田", 0.56), ("董", 0.54),
    ("袁", 0.53), ("潘", 0.52), ("于", 0.52), ("蒋", 0.51), ("蔡", 0.51), ("余", 0.50), ("杜", 0.49),
    ("叶", 0.48), ("程", 0.47), ("苏", 0.46), ("魏", 0.45), ("吕", 0.44), ("丁", 0.43), ("任", 0.42),
    ("沈", 0.41), ("姚", 0.40), ("卢", 0.40), ("姜", 0.39), ("崔", 0.38), ("钟", 0.37), ("谭", 0.36),
    ("陆", 0.35), ("汪", 0.34), ("范", 0.33), ("金", 0.32), ("石", 0.31), ("廖", 0.31), ("贾", 0.30),
    ("夏", 0.29), ("韦", 0.29), ("付", 0.28), ("方", 0.27), ("白", 0.26), ("邹", 0.26), ("孟", 0.25),
    ("熊", 0.25), ("秦", 0.24), ("邱", 0.24), ("江", 0.23), ("尹", 0.23), ("薛", 0.22), ("闫", 0.22),
    ("段", 0.21), ("雷", 0.21), ("侯", 0.21), ("龙", 0.20), ("史", 0.20), ("陶", 0.19), ("黎", 0.19),
    ("贺", 0.18), ("顾", 0.18), ("毛", 0.17), ("郝", 0.17), ("龚", 0.17), ("邵", 0.16), ("万", 0.16),
    ("钱", 0.16), ("严", 0.15), ("覃", 0.15), ("武", 0.15), ("戴", 0.15), ("莫", 0.14), ("孔", 0.14),
    ("向", 0.13), ("汤", 0.13),
)
RARE_SURNAMES = (
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
    "凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车"
    "项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "皇甫", "令狐", "东方", "慕容", "公孙", "夏侯")

# Given-name characters: (first characters, second characters) by sex and birth cohort.
_GIVEN = {
    ("M", "old"): ("建国德文明永志光学富贵长正兴华世成宗家继玉汉开先朝福新树炳泽",
                   "国华明强林平清云生荣福贵才山成忠全良发海军民祥春树元礼义德章"),
    ("M", "middle"): ("伟军勇涛斌波辉刚鹏杰超亮强磊峰飞林平东志海小建俊春红利云金永",
                      "伟军勇涛斌波辉刚鹏杰超亮强磊峰飞林平东明华兵锋龙洪江川"),
    ("M", "young"): ("浩宇轩子梓俊博睿杰鑫晨阳昊一天泽皓铭豪思文嘉航逸宏瑞明锦诗",
                     "轩宇涵浩然博睿杰鑫晨阳昊泽皓铭豪航逸辰煜哲凯楠翔恒宸"),
    ("F", "old"): ("秀桂玉淑凤兰英珍芳翠琼素春菊梅荣华莲香群金银碧德永",
                   "英兰珍芳华梅琼莲香凤云芝秀花群仙清碧兰芬蓉贞娥"),
    ("F", "middle"): ("丽红燕霞敏静艳娟芳玲琴婷梅雪慧萍平小晓春金秋海彩",
                      "丽红燕霞敏静艳娟芳玲琴婷梅雪慧萍平英华丹琳莉群蓉"),
    ("F", "young"): ("欣怡梓涵诗雨萱佳思可子语若紫悦梦琪雅彤馨婉一依艺嘉沐",
                     "怡涵萱琪彤馨雨妍悦琳婷瑶茜然汐菲颖诺萌琦晴玥蕊"),
}

# Ethnic groups of the county beside the Han majority: (name, share of households in per cent).
MINORITIES: tuple[tuple[str, float], ...] = (
    ("彝族", 2.0), ("藏族", 0.8), ("羌族", 0.5), ("土家族", 0.3), ("苗族", 0.3), ("回族", 0.2),
)
_YI_SURNAMES = ("吉克", "阿牛", "沙马", "马海", "曲比", "阿苏", "吉伍", "俄木", "海来", "阿尔", "吉木", "勒古")
_YI_GIVEN = ("阿呷", "伍各", "子日", "拉哈", "木呷", "尔古", "石古", "阿支", "日哈", "有格", "阿果", "拉且",
             "什木", "依作", "阿依", "日古")
_TIBETAN = ("扎西", "次仁", "卓玛", "拉姆", "尼玛", "多吉", "央金", "格桑", "泽仁", "益西", "达瓦", "措姆",
            "贡布", "曲珍", "洛桑", "永珍")
_TIBETAN_FEMALE = {"卓玛", "拉姆", "央金", "措姆", "曲珍", "永珍"}
# Names written with the interpunct (·), e.g. of Uygur people married into the county: rare.
DOT_NAMES_MALE = ("买买提·吐尔逊", "艾力·阿不都拉", "阿不都·热合曼", "努尔·艾合买提", "吐尔洪·依明")
DOT_NAMES_FEMALE = ("阿依古丽·买买提", "古丽娜·艾力", "热依拉·吐尔逊", "帕提古丽·依明", "米热·阿不都")

TOWNSHIP_FIRST = "青石龙白黄金马高新柳桃杨凤云双三太永安长东西南北大小平兴和清古松竹梅花河泉水桂枫"
TOWNSHIP_SECOND = "溪河坝山岭坪口桥湾场庙峰林塘田沟岩关铺滩池垭坡源江渡"
VILLAGE_FIRST = TOWNSHIP_FIRST + "红光建团胜利幸福民丰前进友谊和平向阳宝玉荷茶杉樟柏梨李果麻"
VILLAGE_SECOND = TOWNSHIP_SECOND + "村寨湾包院坎垭嘴岗窝堰坝林"
GROUP_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181", "182", "183",
    "184", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
)


def plain(choices) -> types.SimpleNamespace:
    """A code table's values as plain `str` (faster to hand to database drivers than enum members)."""
    return types.SimpleNamespace(**{member.name: member.value for member in choices})


class WeightedChoice:
    """Fast repeated weighted choice (bisect over cumulative weights)."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, pairs):
        self.items, self.cumulative, total = [], [], 0.0
        for item, weight in pairs:
            total += weight
            self.items.append(item)
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


def _surname_table() -> WeightedChoice:
    common_total = sum(share for _, share in COMMON_SURNAMES)
    # The 100 commonest surnames cover about 85% of people; the other 15% is spread thinly.
    rare_share = common_total * (1 / 0.85 - 1)
    pairs = list(COMMON_SURNAMES)
    rare = [*RARE_SURNAMES, *COMPOUND_SURNAMES]
    pairs += [(s, rare_share / len(rare) * (0.05 if len(s) == 2 else 1)) for s in rare]
    return WeightedChoice(pairs)


SURNAMES = _surname_table()
MINORITY_CHOICE = WeightedChoice(MINORITIES)


def cohort(birth_year: int) -> str:
    if birth_year < 1965:
        return "old"
    if birth_year < 1992:
        return "middle"
    return "young"


def given_name(rng: random.Random, sex: str, birth_year: int, generation_char: str = "") -> str:
    firsts, seconds = _GIVEN[(sex, cohort(birth_year))]
    if generation_char:
        return generation_char + seconds[int(rng.random() * len(seconds))]
    if rng.random() < (0.10 if birth_year < 1965 else 0.18):
        return seconds[int(rng.random() * len(seconds))]
    first = firsts[int(rng.random() * len(firsts))]
    second = seconds[int(rng.random() * len(seconds))]
    if second == first and rng.random() < 0.7:
        second = seconds[(seconds.index(second) + 1) % len(seconds)]
    return first + second


def generation_char(rng: random.Random, sex: str, birth_year: int) -> str:
    """A character brothers (or sisters) share (字辈), or '' when the family does not use one."""
    if rng.random() < 0.45:
        firsts = _GIVEN[(sex, cohort(birth_year))][0]
        return firsts[int(rng.random() * len(firsts))]
    return ""


def ethnic_full_name(rng: random.Random, ethnicity: str, sex: str, surname: str) -> str:
    """A name in the style of the person's ethnic group (Han-style for the groups that use it)."""
    if ethnicity == "彝族":
        return surname + _YI_GIVEN[int(rng.random() * len(_YI_GIVEN))]
    if ethnicity == "藏族":
        pool = [n for n in _TIBETAN if (n in _TIBETAN_FEMALE) == (sex == "F")] or list(_TIBETAN)
        return _TIBETAN[int(rng.random() * len(_TIBETAN))] + pool[int(rng.random() * len(pool))]
    return ""


def yi_surname(rng: random.Random) -> str:
    return _YI_SURNAMES[int(rng.random() * len(_YI_SURNAMES))]


def dot_name(rng: random.Random, sex: str) -> str:
    pool = DOT_NAMES_MALE if sex == "M" else DOT_NAMES_FEMALE
    return pool[int(rng.random() * len(pool))]


def place_name(rng: random.Random, first: str, second: str, taken: set[str]) -> str:
    """Two characters not yet used among siblings (falls back to three when two run out)."""
    for _ in range(200):
        name = first[int(rng.random() * len(first))] + second[int(rng.random() * len(second))]
        if name[0] != name[1] and name not in taken:
            taken.add(name)
            return name
    while True:
        name = (first[int(rng.random() * len(first))] + first[int(rng.random() * len(first))]
                + second[int(rng.random() * len(second))])
        if name not in taken:
            taken.add(name)
            return name


def group_name(index: int) -> str:
    """一组, 二组 … for the index-th group (1-based)."""
    if index <= 10:
        return GROUP_NUMERALS[index - 1] + "组"
    tens, ones = divmod(index, 10)
    return (GROUP_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (GROUP_NUMERALS[ones - 1] if ones else "") + "组"


def mobile(rng: random.Random) -> str:
    return MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))] + f"{int(rng.random() * 100_000_000):08d}"
