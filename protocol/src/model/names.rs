//! The closed sets of the domain: wish kinds, beneficiary groups, post kinds (which are
//! also the categories of service), project kinds, passbook entry kinds and evaluation
//! grades.

use crate::names::define_names;

define_names! {
    /// What a wish asks for (物资 or 服务).
    WishKind, "wish kind" {
        /// Goods, e.g. a microwave.
        Goods = ("goods", "物资", "goods"),
        /// A service, e.g. someone to talk to.
        Service = ("service", "服务", "service"),
    }
}

define_names! {
    /// The group of residents in difficulty a wish helps (困难群众).
    BeneficiaryGroup, "beneficiary group" {
        /// 独居老人.
        ElderlyAlone = ("elderly_alone", "独居老人", "elderly living alone"),
        /// 空巢老人.
        EmptyNest = ("empty_nest", "空巢老人", "empty-nest elderly"),
        /// 残疾人.
        Disabled = ("disabled", "残疾人", "people with disabilities"),
        /// 单亲家庭儿童.
        SingleParentChild = ("single_parent_child", "单亲家庭儿童", "children of single parents"),
        /// 困难学生.
        StudentHardship = ("student_hardship", "困难学生", "students in hardship"),
        /// 低保家庭.
        LowIncome = ("low_income", "低保家庭", "low-income families"),
        /// 困难党员.
        MemberHardship = ("member_hardship", "困难党员", "party members in hardship"),
        /// 其他.
        Other = ("other", "其他", "other"),
    }
}

define_names! {
    /// The kind of a service post (服务岗位), also the category of an activity or a
    /// service record and the key of the points rate.
    PostKind, "post kind" {
        /// 扶弱济困岗.
        Aid = ("aid", "扶弱济困", "aid to the vulnerable"),
        /// 便民利民岗.
        Convenience = ("convenience", "便民利民", "everyday convenience"),
        /// 就业指导岗.
        Jobs = ("jobs", "就业指导", "job guidance"),
        /// 治安维稳岗.
        Safety = ("safety", "治安维稳", "public safety"),
        /// 环境卫生岗.
        Environment = ("environment", "环境卫生", "environment and sanitation"),
        /// 文体娱乐岗.
        CultureSport = ("culture_sport", "文体娱乐", "culture and sport"),
        /// 医疗保健岗.
        Health = ("health", "医疗保健", "health care"),
        /// 政策法律岗.
        LawPolicy = ("law_policy", "政策法律", "law and policy"),
    }
}

define_names! {
    /// The kind of a livelihood project.
    ProjectKind, "project kind" {
        /// 民生微项目 / 民生实事.
        MicroProject = ("micro_project", "民生微项目", "livelihood micro-project"),
        /// 突出问题, e.g. a broken road or a dark street lamp.
        PressingProblem = ("pressing_problem", "突出问题", "pressing problem"),
    }
}

define_names! {
    /// Which way a passbook entry moves points.
    PointsKind, "passbook entry kind" {
        /// Points earned by service (存入).
        Earn = ("earn", "存入", "earned"),
        /// Points spent on a benefit (支取).
        Redeem = ("redeem", "支取", "redeemed"),
    }
}

define_names! {
    /// The grade of the community's evaluation of a member for a half-year: the four
    /// grades of 民主评议党员, which the unit's 述职评议考核 takes over.
    EvaluationGrade, "evaluation grade" {
        /// 优秀.
        Excellent = ("excellent", "优秀", "excellent"),
        /// 合格.
        Qualified = ("qualified", "合格", "qualified"),
        /// 基本合格.
        BasicallyQualified = ("basically_qualified", "基本合格", "basically qualified"),
        /// 不合格.
        Unqualified = ("unqualified", "不合格", "unqualified"),
    }
}

define_names! {
    /// A kind of service the community scores (积分项目): the key of its points table.
    ScoringItem, "scoring item" {
        /// 参加志愿服务活动: a participation in an activity.
        Activity = ("activity", "参加志愿服务活动", "activity participation"),
        /// 岗位值守: service on a post the member holds.
        PostDuty = ("post_duty", "岗位值守", "post duty"),
        /// 圆梦微心愿: service fulfilling a micro-wish.
        Wish = ("wish", "圆梦微心愿", "wish fulfilment"),
        /// 参与民生微项目: work on a livelihood project.
        Project = ("project", "参与民生微项目", "project work"),
        /// 其他服务.
        Other = ("other", "其他服务", "other service"),
    }
}

define_names! {
    /// What a scoring item's points are counted per: an hour of service, or a time
    /// (one record, however long).
    ScoringUnit, "scoring unit" {
        /// 每小时.
        Hour = ("hour", "每小时", "per hour"),
        /// 每次.
        Time = ("time", "每次", "per time"),
    }
}

define_names! {
    /// How far a member's participation in an activity has come (报名 · 签到 · 出勤).
    /// A participation without a stage was written before sign-up and attendance were
    /// told apart, when entering a participant credited the hours at once: it reads as
    /// attended.
    AttendanceStage, "attendance stage" {
        /// Signed up: an intention, no hours.
        SignedUp = ("signed_up", "已报名", "signed up"),
        /// Checked in by a code the node showed; hours come at check-out.
        CheckedIn = ("checked_in", "已签到", "checked in"),
        /// Attended: checked out, or confirmed by a worker; the hours are recorded.
        Attended = ("attended", "已出勤", "attended"),
    }
}

define_names! {
    /// Who a volunteer is (志愿者类别): the claimants beyond in-service members, kept
    /// apart from them in every figure.
    VolunteerKind, "volunteer kind" {
        /// 离退休党员.
        Retired = ("retired", "离退休党员", "retired party member"),
        /// 学生党员.
        Student = ("student", "学生党员", "student party member"),
        /// 社区公益爱心人士.
        Resident = ("resident", "社区公益爱心人士", "public-spirited resident"),
    }
}
