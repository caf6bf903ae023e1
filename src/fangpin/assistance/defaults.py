"""The default measure catalogue a county starts from. Amounts are common national or provincial
standards (yuan); a county edits them to its own policy. Names are data written in Chinese, the
language of the national forms, not interface text."""

from decimal import Decimal

from fangpin.monitoring.choices import RiskType as R

from .choices import MeasureCategory as C

# (code, category, name, standard amount, unit, risk types, runs on after elimination, description)
DEFAULT_CATALOGUE = [
    ("industry_award", C.INDUSTRY, "到户产业奖补（以奖代补）", "3000", "元/户/年",
     [R.INCOME, R.PROJECT_FAILURE, R.DISASTER], False, "发展种养业达到规模的按标准奖补"),
    ("industry_project", C.INDUSTRY, "产业项目扶持（项目超市）", "5000", "元/户",
     [R.INCOME, R.PROJECT_FAILURE], False, "从项目超市选择产业项目，按项目标准扶持"),
    ("cooperative", C.INDUSTRY, "带动加入合作社、龙头企业利益联结", None, "",
     [R.INCOME, R.PROJECT_FAILURE], False, ""),
    ("travel_subsidy", C.EMPLOYMENT, "跨省务工一次性交通补助", "500", "元/人/年",
     [R.UNSTABLE_EMPLOYMENT, R.INCOME], False, ""),
    ("workshop_job", C.EMPLOYMENT, "扶贫车间就近就业", None, "",
     [R.UNSTABLE_EMPLOYMENT, R.INCOME], False, ""),
    ("skills_training", C.EMPLOYMENT, "职业技能培训补贴", "1500", "元/人",
     [R.UNSTABLE_EMPLOYMENT, R.INCOME], False, ""),
    ("micro_credit", C.FINANCE, "脱贫人口小额信贷", "50000", "元/户（上限）",
     [R.PROJECT_FAILURE, R.INCOME], True, "5万元以下、3年以内、免担保免抵押，财政贴息"),
    ("farm_insurance", C.FINANCE, "农业保险保费补贴", "200", "元/户/年",
     [R.DISASTER, R.PROJECT_FAILURE], False, ""),
    ("welfare_post", C.WELFARE_POST, "乡村公益性岗位", "800", "元/人/月",
     [R.UNSTABLE_EMPLOYMENT, R.LACK_OF_LABOUR, R.DISABILITY, R.INCOME], True, "聘期内按月发放岗位补贴"),
    ("house_rebuild", C.HOUSING, "农村危房改造", "35000", "元/户",
     [R.HOUSING, R.DISASTER], False, "C级加固、D级拆除重建，按等级补助"),
    ("water_supply", C.WATER, "农村饮水安全巩固提升", None, "",
     [R.WATER], False, ""),
    ("insurance_subsidy", C.HEALTH, "城乡居民医保参保资助", "380", "元/人/年",
     [R.MEDICAL_INSURANCE, R.ILLNESS], False, ""),
    ("medical_aid", C.HEALTH, "医疗救助（基本医保、大病保险、医疗救助三重保障）", None, "按报销比例",
     [R.ILLNESS, R.ACCIDENT, R.DISABILITY], False, ""),
    ("family_doctor", C.HEALTH, "家庭医生签约与慢病管理", None, "",
     [R.ILLNESS, R.DISABILITY], False, ""),
    ("dropout_control", C.COMPULSORY_EDUCATION, "控辍保学劝返复学", None, "",
     [R.DROPOUT, R.SCHOOLING], False, ""),
    ("boarding_subsidy", C.COMPULSORY_EDUCATION, "义务教育寄宿生生活补助", "1250", "元/人/年",
     [R.SCHOOLING, R.DROPOUT], True, ""),
    ("yulu_plan", C.OTHER_EDUCATION, "雨露计划职业教育补助", "1500", "元/人/学期",
     [R.SCHOOLING], True, "中职、高职在校生，补助至学段结束"),
    ("high_school_grant", C.OTHER_EDUCATION, "普通高中国家助学金", "2000", "元/人/年",
     [R.SCHOOLING], True, ""),
    ("dibao", C.PROTECTION, "纳入农村低保", None, "按当地低保标准",
     [R.LACK_OF_LABOUR, R.ILLNESS, R.DISABILITY, R.INCOME], False, ""),
    ("tekun", C.PROTECTION, "特困人员救助供养", None, "按当地特困供养标准",
     [R.LACK_OF_LABOUR, R.DISABILITY], False, ""),
    ("disability_allowance", C.PROTECTION, "残疾人两项补贴", "90", "元/人/月",
     [R.DISABILITY], False, "困难残疾人生活补贴和重度残疾人护理补贴"),
    ("temporary_relief", C.PROTECTION, "临时救助", "5000", "元/户/次（上限）",
     [R.ACCIDENT, R.DISASTER, R.ILLNESS, R.OTHER], False, ""),
    ("enterprise_pairing", C.SOCIAL_HELP, "企业结对与消费帮扶", None, "",
     [R.INCOME, R.OTHER, R.ACCIDENT], False, ""),
    ("relocation_followup", C.RELOCATION, "易地搬迁后续扶持（就业与社区融入）", None, "",
     [R.INCOME, R.UNSTABLE_EMPLOYMENT], False, ""),
    ("living_conditions", C.LIVING_CONDITIONS, "改厨改厕与人居环境改善", "1000", "元/户",
     [R.OTHER], False, ""),
    ("village_roads", C.INFRASTRUCTURE, "通组道路与产业路建设", None, "",
     [R.DISASTER, R.OTHER], False, ""),
]


def default_items():
    for code, category, name, amount, unit, risks, runs_on, description in DEFAULT_CATALOGUE:
        yield {
            "code": code, "category": str(category), "name": str(name),
            "standard_amount": Decimal(amount).quantize(Decimal("0.01")) if amount else None,
            "unit": str(unit), "risk_types": [str(r) for r in risks], "runs_after_elimination": runs_on,
            "description": str(description),
        }
