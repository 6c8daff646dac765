"""The closed vocabularies of the roster: kinds of unit, roles, kinds of pairing."""

CAMPAIGN_OFFICE = "活动办"
COUNTY_COMMITTEE = "县市委"
PREFECTURE_COMMITTEE = "州直党(工)委"
GRASSROOTS = "基层党组织"
UNIT_KINDS = (CAMPAIGN_OFFICE, COUNTY_COMMITTEE, PREFECTURE_COMMITTEE, GRASSROOTS)
UNIT_KIND_ALIASES = {"州直党工委": PREFECTURE_COMMITTEE, "州直党委": PREFECTURE_COMMITTEE, "": GRASSROOTS}

CADRE = "干部"
UNIT_ADMIN = "单位管理员"
OFFICE_ADMIN = "活动办管理员"
ROLES = (CADRE, UNIT_ADMIN, OFFICE_ADMIN)

CADRE_HOUSEHOLD = "干部联户"
AGENCY_VILLAGE = "机关联村"
LEADER_SCHOOL = "领导联校"
EXPERT_SITE = "专家联点"
PARTY_LEAGUE = "党建带团建"
PAIRING_KINDS = (LEADER_SCHOOL, AGENCY_VILLAGE, CADRE_HOUSEHOLD, EXPERT_SITE, PARTY_LEAGUE)
# Who the 联系方 is for each kind: a cadre or a unit.
PAIRED_BY_UNIT = frozenset({AGENCY_VILLAGE, PARTY_LEAGUE})
# What the target of each kind (other than households) is called.
TARGET_NOUN = {AGENCY_VILLAGE: "村", LEADER_SCHOOL: "学校", EXPERT_SITE: "示范点", PARTY_LEAGUE: "群团组织"}
