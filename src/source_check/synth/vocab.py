"""Small Chinese vocabularies for plausible names, addresses and field labels.

Everything here is invented or generic (common surnames, road names of 普陀区, words
used in company names); no real enterprise is described.

Examples
--------
>>> FIELD_LABELS["wages"]
'从业人员工资总额'
>>> len(SURNAMES) == len(SURNAME_WEIGHTS)
True
"""

from __future__ import annotations

__all__ = [
    "BRAND_CHARS",
    "FIELD_LABELS",
    "FORM_TITLES",
    "GIVEN_CHARS",
    "REG_CATEGORIES",
    "ROADS",
    "SECTION_WORDS",
    "SURNAMES",
    "SURNAME_WEIGHTS",
]

# Common surnames with rough relative frequencies (the first few cover about a third).
_SURNAMES = (
    "王7 李7 张7 刘5 陈5 杨3 黄2 赵2 吴2 周2 徐2 孙2 马1 朱1 胡1 郭1 何1 高1 林1 罗1 郑1 梁1 谢1 宋1 唐1 "
    "许1 韩1 冯1 邓1 曹1 彭1 曾1 肖1 田1 董1 袁1 潘1 于1 蒋1 蔡1 余1 杜1 叶1 程1 苏1 魏1 吕1 丁1 任1 沈2 "
    "姚1 卢1 姜1 崔1 钟1 谭1 陆2 汪1 范1 金1 石1 廖1 贾1 夏1 韦1 付1 方1 白1 邹1 孟1 熊1 秦1 邱1 江1 尹1 "
    "薛1 闫1 段1 雷1 侯1 龙1 史1 陶1 黎1 贺1 顾2 毛1 郝1 龚1 邵1 万1 钱1 严1 覃1 武1 戴1 莫1 孔1 向1 汤1"
)
SURNAMES: tuple[str, ...] = tuple(tok[0] for tok in _SURNAMES.split())
SURNAME_WEIGHTS: tuple[int, ...] = tuple(int(tok[1:]) for tok in _SURNAMES.split())

GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉宇浩凯健俊帆帅旭宁"
    "琳晨蕾欣佳婷颖倩雪琦瑶怡馨悦思雨梦文斌海波峰亮成林建国志新立华荣丹云飞龙凤晓春秋冬梅兰"
    "竹松柏鑫睿哲博轩然昊天逸楠嘉子豪航锦程浩然婉清诗涵可心安宸泽润铭晗语晴依诺沐辰佑景翔"
)

BRAND_CHARS = (
    "华盛达兴恒泰鑫源宏信诚瑞丰和安康顺捷通汇德嘉元亚金银明光星宇宏图锦程祥云天地东南西北中"
    "新联合众创智慧美佳优品尚上海普陀沪申浦江曹杨长风长寿真如桃浦宜川万里甘泉石泉凯越博远"
    "逸飞腾跃启航卓越精诚立信至诚永盛昌隆兴旺富泽润鼎盛弘远广厦万象乾坤融悦"
)

#: Words that follow the brand in a company name, by 门类 (GB/T 4754 section).
SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "C": ("机械", "电子", "食品", "服饰", "印刷", "塑料制品", "精密仪器", "医疗器械", "五金制品", "电气"),
    "D": ("能源", "电力", "燃气", "水务"),
    "E": ("建筑工程", "建设", "装饰工程", "安装工程", "市政工程"),
    "F": ("贸易", "商贸", "实业", "供应链管理", "国际贸易", "百货", "医药", "电器"),
    "G": ("物流", "运输", "货运代理", "仓储"),
    "H": ("餐饮管理", "酒店管理", "餐饮", "饮食"),
    "I": ("信息科技", "网络科技", "软件", "数据科技", "智能科技"),
    "K": ("房地产开发", "置业", "物业管理", "房地产经纪"),
    "L": ("企业管理", "商务咨询", "人力资源", "广告", "会展服务", "租赁"),
    "M": ("科技", "技术", "工程设计", "检测技术", "环保科技"),
    "N": ("环境工程", "园林绿化", "环境科技"),
    "O": ("家政服务", "美容美发", "洗涤服务", "维修服务"),
    "P": ("教育科技", "培训"),
    "Q": ("医疗", "门诊部", "健康管理"),
    "R": ("文化传播", "文化发展", "体育发展", "影视"),
}

ROADS = (
    "曹杨路", "长寿路", "中山北路", "真北路", "武宁路", "金沙江路", "大渡河路", "桃浦路",
    "石泉路", "宜川路", "志丹路", "光复西路", "云岭东路", "怒江北路", "丹巴路", "同普路",
    "真南路", "祁连山南路", "铜川路", "兰溪路", "枣阳路", "梅川路", "古浪路", "白兰路",
    "新村路", "交通路", "真华路", "岚皋路", "西康路", "江宁路", "常德路", "澳门路",
    "莫干山路", "宜昌路", "普雄路", "绥德路", "中江路", "泸定路", "杏山路", "西乡路",
    "敦煌路", "凯旋北路", "长风一村路", "李子园路", "新会路", "曹安路", "真光路", "华池路",
)

#: 登记注册统计类别 codes used for enterprises, with rough weights for an urban district.
#: Placeholder values (the list in force since 2023 should come from the shipped code list).
REG_CATEGORIES: tuple[tuple[str, int], ...] = (
    ("112", 70), ("119", 8), ("111", 2), ("121", 3), ("129", 2), ("140", 3), ("150", 2),
    ("210", 4), ("310", 6),
)

#: Chinese labels for every generated field (the packs' labels win where a pack names the field).
FIELD_LABELS: dict[str, str] = {
    "credit_code": "统一社会信用代码",
    "name": "单位详细名称",
    "town_code": "街镇代码",
    "period": "报告期",
    "legal_rep": "法定代表人（单位负责人）",
    "division_code": "区划代码",
    "reg_division_code": "注册地区划代码",
    "address": "单位所在地详细地址",
    "phone": "固定电话",
    "mobile": "移动电话",
    "industry_code": "行业代码",
    "main_activity": "主要业务活动",
    "reg_category": "登记注册统计类别",
    "org_type": "机构类型",
    "op_status": "营业状态",
    "open_date": "开业（成立）时间",
    "filler": "填表人",
    "filler_phone": "填表人联系电话",
    "emp_end": "从业人员期末人数",
    "emp_female": "其中：女性",
    "emp_dispatch": "其中：劳务派遣人员",
    "emp_avg": "从业人员平均人数",
    "wages": "从业人员工资总额",
    "total_assets": "资产总计",
    "current_assets": "流动资产合计",
    "receivables": "应收账款",
    "inventory": "存货",
    "finished_goods": "其中：产成品",
    "fixed_assets_orig": "固定资产原价",
    "accum_depr": "累计折旧",
    "depr_current": "其中：本年折旧",
    "total_liabilities": "负债合计",
    "owners_equity": "所有者权益合计",
    "revenue": "营业收入",
    "main_revenue": "其中：主营业务收入",
    "cost": "营业成本",
    "main_cost": "其中：主营业务成本",
    "taxes_surcharges": "税金及附加",
    "selling_exp": "销售费用",
    "admin_exp": "管理费用",
    "rd_exp": "研发费用",
    "fin_exp": "财务费用",
    "interest_exp": "其中：利息费用",
    "interest_income": "利息收入",
    "other_income": "其他收益",
    "invest_income": "投资收益",
    "hedge_income": "净敞口套期收益",
    "fair_value_income": "公允价值变动收益",
    "credit_impair": "信用减值损失",
    "asset_impair": "资产减值损失",
    "disposal_income": "资产处置收益",
    "op_profit": "营业利润",
    "nonop_income": "营业外收入",
    "nonop_exp": "营业外支出",
    "total_profit": "利润总额",
    "vat_payable": "应交增值税（本年累计发生额）",
    "payroll_payable": "应付职工薪酬（本年贷方累计发生额）",
    "taxes_paid": "上缴的各项税费",
    "output_value": "工业总产值（当年价格）",
    "sales_value": "工业销售产值",
    "export_value": "其中：出口交货值",
    "electricity": "企业用电量",
    "sales_total": "商品销售额",
    "wholesale": "批发额",
    "retail": "零售额",
    "online_retail": "其中：通过公共网络实现的零售额",
    "stock_end": "期末商品库存额",
    "op_income": "经营性单位收入",
    "nonop_expense": "非经营性单位支出",
}

#: Form titles for the title row of an Excel file ("2024年12月 从业人员及工资总额").
FORM_TITLES: dict[str, str] = {
    "101": "调查单位基本情况",
    "102": "从业人员及工资总额",
    "B103": "工业企业财务状况",
    "C103": "建筑业企业财务状况",
    "E103": "批发和零售业企业财务状况",
    "S103": "住宿和餐饮业企业财务状况",
    "F103": "服务业企业财务状况",
    "103": "财务状况",
    "B204-1": "工业产销总值及主要产品产量",
    "E204": "批发和零售业商品销售和库存",
    "census5": "第五次全国经济普查单位清查表",
}
