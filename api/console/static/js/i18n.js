// English and Chinese. The reference data carries both in one name, "English (中文)":
// `localName` shows the half of the chosen language.

const STRINGS = {
  en: {
    'app.title': 'Complaint work orders', 'nav.inbox': 'Inbox', 'nav.intake': 'New order',
    'nav.reports': 'Reports', 'nav.design': 'Design', 'nav.signout': 'Sign out',
    'nav.main': 'Main', 'language': 'Language',
    'signin.title': 'Sign in', 'signin.token': 'Access token', 'signin.submit': 'Sign in',
    'signin.staffid': 'Staff id', 'signin.password': 'Password', 'signin.more': 'Department or role',
    'signin.department': 'Act for department', 'signin.department.help': 'A department id of yours; empty: your first.',
    'signin.actingas': 'Act as', 'signin.role.default': 'My department (handler, supervisor)',
    'signin.bytoken': 'Integrators and departments: sign in with an access token', 'signin.tokensubmit': 'Use token',
    'signin.missing': 'Enter your staff id and password.', 'signin.wrong': 'Wrong staff id or password.',
    'signin.locked': 'This account is locked for a while after repeated wrong passwords.',
    'signed.for': 'for', 'role.department': 'department', 'role.integrator': 'integrator', 'role.designer': 'designer',
    'role.manager': 'manager', 'role.admin': 'administrator',
    'signin.help': 'Paste the access token you were given (flask tokens create). It is kept for this browser tab only.',
    'signin.empty': 'Enter your access token.', 'signin.refused': 'This token is not valid or was revoked.',
    'signin.failed': 'Sign-in failed', 'signed.as': 'Signed in as',
    'inbox.title': 'Inbox', 'inbox.empty': 'No open stages.', 'inbox.filters': 'Filters',
    'inbox.overdue': 'Overdue only', 'inbox.flow': 'Flow', 'inbox.all': 'All',
    'inbox.mine': 'Assigned', 'inbox.assigned.any': 'Anyone or no one', 'inbox.assigned.me': 'Me',
    'inbox.assigned.none': 'Unassigned', 'inbox.search': 'Order number contains',
    'inbox.keys': 'Keys: j / k or arrows move, Enter opens, r refreshes.',
    'inbox.updated': 'Updated', 'inbox.count': 'open stages',
    'col.order': 'Order', 'col.stage': 'Stage', 'col.department': 'Department',
    'col.assignee': 'Assignee', 'col.due': 'Due', 'col.left': 'Time left', 'col.flow': 'Flow',
    'col.opened': 'Opened',
    'order.title': 'Order', 'order.customer': 'Customer', 'order.category': 'Category',
    'order.urgency': 'Urgency', 'order.tier': 'Tier', 'order.status': 'Status',
    'order.channel': 'Channel', 'order.content': 'Complaint', 'order.submitted': 'Submitted',
    'order.stages': 'Open stages', 'order.dept_left': 'Department total left',
    'order.timeline': 'Timeline', 'order.diagram': 'Flow', 'order.keyfields': 'Key information',
    'order.actions': 'Actions', 'order.form': 'Stage form', 'order.counts': 'Counts',
    'order.back': 'Back to the inbox', 'order.note': 'Customer note',
    'action.claim': 'Claim', 'action.unclaim': 'Release', 'action.complete': 'Complete stage',
    'action.urge': 'Urge', 'action.transfer': 'Transfer', 'action.sendback': 'Send back',
    'action.audit': 'Audit', 'action.approve': 'Approve', 'action.reject': 'Reject',
    'action.done': 'Done.', 'field.note': 'Note', 'field.reason': 'Reason',
    'field.to_department': 'To department', 'field.approved': 'Approved',
    'form.fix': 'Some fields need attention.', 'form.choose': '— choose —',
    'form.yes': 'Yes', 'form.no': 'No', 'form.required': 'required',
    'time.none': '—', 'time.over': 'overdue by',
    'intake.title': 'New order', 'intake.category': 'Category', 'intake.search': 'Search categories',
    'intake.submit': 'Submit order', 'intake.created': 'Order created:', 'intake.nocategory': 'Choose a category first.',
    'intake.keyfields': 'Key information for this category', 'intake.recent': 'Recent orders of this number',
    'intake.department': 'Accepting department',
    'reports.title': 'Reports', 'reports.from': 'From', 'reports.to': 'To', 'reports.show': 'Show',
    'reports.csv': 'Download CSV', 'reports.timeliness': 'Timeliness', 'reports.atrisk': 'At risk',
    'reports.kpi': 'KPI', 'reports.hotspots': 'Hotspots', 'reports.year': 'Year', 'reports.month': 'Month',
    'reports.groupby': 'Group by', 'reports.empty': 'Nothing in this window.',
    'design.title': 'Design', 'design.files': 'Diagram, decision table and form files',
    'design.dryrun': 'Check (dry run)', 'design.deploy': 'Deploy', 'design.ok': 'No problems found.',
    'design.deployed': 'Deployed:', 'design.problems': 'Problems', 'design.versions': 'Versions',
    'design.flows': 'Flows', 'design.migrate': 'Migrate running orders', 'design.from': 'From version',
    'design.to': 'To version', 'design.migrate.dry': 'Check migration', 'design.migrate.run': 'Migrate',
    'design.editor': 'Diagram', 'design.open': 'Open in editor', 'design.running': 'Running',
    'design.edited': 'The diagram in the editor is included as', 'design.file': 'File',
    'design.line': 'Line', 'design.element': 'Element', 'design.message': 'Problem',
    'inbox.view.mine-unassigned': 'Mine and my department\'s unassigned', 'inbox.view.mine': 'Mine',
    'inbox.view.none': 'Unassigned', 'inbox.view.all': 'All of the department',
    'inbox.repeat': 'Repeat complaints', 'inbox.upgraded': 'Upgraded complaints', 'inbox.paused': 'Paused since',
    'flag.repeat': 'Repeat', 'flag.upgraded': 'Upgraded',
    'assign.to': 'Assign the stage of', 'assign.pick': 'Choose a handler.', 'assign.assign': 'Assign', 'assign.reassign': 'Reassign',
    'deadline.title': 'Order deadline', 'deadline.met': 'met', 'deadline.missed': 'missed', 'deadline.paused': 'paused',
    'action.pause': 'Pause', 'action.resume': 'Resume', 'action.withdraw': 'Withdraw', 'action.cancel': 'Cancel as duplicate',
    'action.escalate': 'Escalate', 'action.judge': 'Judge liability', 'field.duplicate_of': 'Duplicate of order',
    'field.source': 'Source', 'field.reference': 'Reference',
    'upgrade.title': 'Upgraded complaint', 'upgrade.not': 'Not upgraded.', 'upgrade.version': 'Version',
    'upgrade.liable': 'Company-liable', 'upgrade.departments': 'Liable departments',
    'upgrade.departments.input': 'Liable departments (ids, comma-separated)', 'upgrade.cause': 'Cause',
    'upgrade.major': 'Caused a major complaint', 'upgrade.judgments': 'Liability judgments',
    'log.title': 'Case log', 'log.nextcontact': 'Next contact due', 'log.at': 'When', 'log.kind': 'Kind', 'log.text': 'Text',
    'log.empty': 'Nothing logged yet.', 'log.add': 'Add to the case log', 'log.outcome': 'Contact outcome',
    'log.kind.note': 'Note', 'log.kind.interim_reply': 'Interim reply', 'log.kind.contact': 'Contact',
    'log.outcome.called': 'Called', 'log.outcome.not_reached': 'Not reached', 'log.outcome.sms_sent': 'SMS sent',
    'files.title': 'Attachments', 'files.name': 'File', 'files.size': 'Size', 'files.description': 'Description',
    'files.empty': 'No attachments.', 'files.pick': 'Choose a file.', 'files.choose': 'File to attach', 'files.upload': 'Upload',
    'profile.title': 'Customer', 'profile.guidance': 'Handling guidance', 'profile.markers': 'Markers',
    'profile.recent': 'Recent orders of this customer',
    'intake.onthespot': 'Resolved on the spot', 'intake.answer': 'Answer given to the customer',
    'reports.chart': 'Chart', 'reports.firstcontact': 'First contact', 'reports.repeats': 'Repeats',
    'reports.upgrades': 'Upgrades', 'reports.problems': 'Problem analysis', 'reports.orderdeadlines': 'Order deadlines',
    'reports.handlers': 'Handlers', 'reports.endings': 'Endings',
    'chart.ontime': 'On-time rate by group', 'chart.kpi': 'KPI deductions by department, to date',
    'chart.orderdeadlines': 'Order deadlines met by acceptance department', 'chart.firstcontact': 'First-contact rate by group',
    'chart.repeats': 'Repeat rate by group',
    'loading': 'Loading…', 'error': 'Error', 'col.event': 'Event', 'col.actor': 'Actor', 'col.detail': 'Detail',
  },
  zh: {
    'app.title': '投诉工单', 'nav.inbox': '待办', 'nav.intake': '新建工单', 'nav.reports': '报表',
    'nav.design': '流程设计', 'nav.signout': '退出', 'nav.main': '主菜单', 'language': '语言',
    'signin.title': '登录', 'signin.token': '访问令牌', 'signin.submit': '登录',
    'signin.staffid': '工号', 'signin.password': '密码', 'signin.more': '部门或角色',
    'signin.department': '代表部门', 'signin.department.help': '您所属部门的编号；留空为第一个。',
    'signin.actingas': '登录角色', 'signin.role.default': '我的部门（处理人、班长）',
    'signin.bytoken': '系统对接与部门：使用访问令牌登录', 'signin.tokensubmit': '使用令牌',
    'signin.missing': '请输入工号和密码。', 'signin.wrong': '工号或密码错误。',
    'signin.locked': '密码多次错误，账号暂时锁定。',
    'signed.for': '代表', 'role.department': '部门', 'role.integrator': '对接系统', 'role.designer': '流程设计',
    'role.manager': '管理人员', 'role.admin': '管理员',
    'signin.help': '粘贴分配给您的访问令牌（flask tokens create）。令牌只保存在当前浏览器标签页。',
    'signin.empty': '请输入访问令牌。', 'signin.refused': '令牌无效或已被吊销。', 'signin.failed': '登录失败',
    'signed.as': '当前用户',
    'inbox.title': '待办', 'inbox.empty': '没有待办环节。', 'inbox.filters': '筛选',
    'inbox.overdue': '只看超时', 'inbox.flow': '流程', 'inbox.all': '全部', 'inbox.mine': '处理人',
    'inbox.assigned.any': '不限', 'inbox.assigned.me': '我', 'inbox.assigned.none': '未签收',
    'inbox.search': '工单号包含', 'inbox.keys': '快捷键：j / k 或方向键移动，回车打开，r 刷新。',
    'inbox.updated': '更新于', 'inbox.count': '个待办环节',
    'col.order': '工单', 'col.stage': '环节', 'col.department': '部门', 'col.assignee': '处理人',
    'col.due': '时限', 'col.left': '剩余时间', 'col.flow': '流程', 'col.opened': '开始',
    'order.title': '工单', 'order.customer': '客户', 'order.category': '投诉分类', 'order.urgency': '紧急程度',
    'order.tier': '客户级别', 'order.status': '状态', 'order.channel': '受理渠道', 'order.content': '投诉内容',
    'order.submitted': '受理时间', 'order.stages': '当前环节', 'order.dept_left': '部门总时限剩余',
    'order.timeline': '处理记录', 'order.diagram': '流程图', 'order.keyfields': '关键信息',
    'order.actions': '操作', 'order.form': '环节表单', 'order.counts': '统计', 'order.back': '返回待办',
    'order.note': '客户备注',
    'action.claim': '签收', 'action.unclaim': '退回待办', 'action.complete': '提交环节', 'action.urge': '催单',
    'action.transfer': '转派', 'action.sendback': '回退', 'action.audit': '审核', 'action.approve': '通过',
    'action.reject': '驳回', 'action.done': '已完成。', 'field.note': '备注', 'field.reason': '原因',
    'field.to_department': '转派部门', 'field.approved': '通过',
    'form.fix': '部分字段需要修改。', 'form.choose': '— 请选择 —', 'form.yes': '是', 'form.no': '否',
    'form.required': '必填',
    'time.none': '—', 'time.over': '已超时',
    'intake.title': '新建工单', 'intake.category': '投诉分类', 'intake.search': '搜索分类',
    'intake.submit': '提交工单', 'intake.created': '已创建工单：', 'intake.nocategory': '请先选择分类。',
    'intake.keyfields': '该分类的关键信息', 'intake.recent': '该号码的近期工单', 'intake.department': '受理部门',
    'reports.title': '报表', 'reports.from': '开始', 'reports.to': '结束', 'reports.show': '查询',
    'reports.csv': '下载 CSV', 'reports.timeliness': '及时率', 'reports.atrisk': '临近超时',
    'reports.kpi': '考核扣分', 'reports.hotspots': '热点', 'reports.year': '年', 'reports.month': '月',
    'reports.groupby': '分组', 'reports.empty': '该时段没有数据。',
    'design.title': '流程设计', 'design.files': '流程图、决策表和表单文件', 'design.dryrun': '检查（试运行）',
    'design.deploy': '部署', 'design.ok': '未发现问题。', 'design.deployed': '已部署：', 'design.problems': '问题',
    'design.versions': '版本', 'design.flows': '流程', 'design.migrate': '迁移在途工单', 'design.from': '原版本',
    'design.to': '新版本', 'design.migrate.dry': '检查迁移', 'design.migrate.run': '迁移',
    'design.editor': '流程图', 'design.open': '在编辑器中打开', 'design.running': '在途',
    'design.edited': '编辑器中的流程图将作为以下文件部署', 'design.file': '文件', 'design.line': '行',
    'design.element': '元素', 'design.message': '问题',
    'inbox.view.mine-unassigned': '我的和本部门未分配', 'inbox.view.mine': '我的', 'inbox.view.none': '未分配',
    'inbox.view.all': '本部门全部', 'inbox.repeat': '重复投诉', 'inbox.upgraded': '升级投诉', 'inbox.paused': '挂起于',
    'flag.repeat': '重复', 'flag.upgraded': '升级',
    'assign.to': '分派环节', 'assign.pick': '请选择处理人。', 'assign.assign': '分派', 'assign.reassign': '改派',
    'deadline.title': '工单时限', 'deadline.met': '已按时', 'deadline.missed': '已超时', 'deadline.paused': '已挂起',
    'action.pause': '挂起', 'action.resume': '解挂', 'action.withdraw': '撤单', 'action.cancel': '作废（重复工单）',
    'action.escalate': '升级', 'action.judge': '有责判定', 'field.duplicate_of': '重复的工单号',
    'field.source': '来源', 'field.reference': '编号',
    'upgrade.title': '升级投诉', 'upgrade.not': '未升级。', 'upgrade.version': '版本', 'upgrade.liable': '企业有责',
    'upgrade.departments': '责任部门', 'upgrade.departments.input': '责任部门（编号，逗号分隔）', 'upgrade.cause': '责任原因',
    'upgrade.major': '造成重大投诉', 'upgrade.judgments': '有责判定',
    'log.title': '处理日志', 'log.nextcontact': '下次联系时限', 'log.at': '时间', 'log.kind': '类型', 'log.text': '内容',
    'log.empty': '暂无记录。', 'log.add': '添加记录', 'log.outcome': '联系结果',
    'log.kind.note': '备注', 'log.kind.interim_reply': '阶段回复', 'log.kind.contact': '联系客户',
    'log.outcome.called': '已通话', 'log.outcome.not_reached': '未接通', 'log.outcome.sms_sent': '已发短信',
    'files.title': '附件', 'files.name': '文件', 'files.size': '大小', 'files.description': '说明', 'files.empty': '没有附件。',
    'files.pick': '请选择文件。', 'files.choose': '要上传的文件', 'files.upload': '上传',
    'profile.title': '客户', 'profile.guidance': '处理指引', 'profile.markers': '标记', 'profile.recent': '该客户近期工单',
    'intake.onthespot': '当场解决', 'intake.answer': '给客户的答复',
    'reports.chart': '图表', 'reports.firstcontact': '一次解决', 'reports.repeats': '重复投诉', 'reports.upgrades': '升级投诉',
    'reports.problems': '问题分析', 'reports.orderdeadlines': '工单时限', 'reports.handlers': '处理人', 'reports.endings': '撤单与作废',
    'chart.ontime': '各组及时率', 'chart.kpi': '各部门累计考核扣分', 'chart.orderdeadlines': '各受理部门工单时限达标率',
    'chart.firstcontact': '各组一次解决率', 'chart.repeats': '各组重复投诉率',
    'loading': '加载中…', 'error': '错误', 'col.event': '事件', 'col.actor': '操作人', 'col.detail': '详情',
    'v.urgent': '紧急', 'v.normal': '一般', 'v.suggestion': '建议', 'v.ordinary': '普通客户', 'v.vip': 'VIP 客户',
    'v.special_care': '特殊关怀客户', 'v.open': '处理中', 'v.closed': '已关闭', 'v.hotline': '热线', 'v.business_hall': '营业厅',
    'v.web': '网站', 'v.sms': '短信', 'v.regulator': '监管部门转办', 'v.consumer_association': '消费者协会转办',
    'v.resolve': '办结', 'v.transfer': '转派', 'v.send_back': '回退', 'v.satisfied': '满意', 'v.neutral': '一般',
    'v.dissatisfied': '不满意', 'v.unknown': '未知',
  },
};

const LANGUAGE_KEY = 'workorders.language';
let language = localStorage.getItem(LANGUAGE_KEY)
  || (navigator.language && navigator.language.startsWith('zh') ? 'zh' : 'en');

export function t(key) {
  return STRINGS[language][key] ?? STRINGS.en[key] ?? key;
}

export function currentLanguage() {
  return language;
}

export function setLanguage(next) {
  if (!STRINGS[next]) return;
  language = next;
  localStorage.setItem(LANGUAGE_KEY, next);
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

// A value of the data (urgency, tier, status, channel, a form's choice) in words.
export function term(value) {
  if (value === null || value === undefined) return value;
  return STRINGS[language][`v.${value}`] ?? String(value);
}

// "Network operations (网络运维)" -> "Network operations" or "网络运维".
export function localName(text) {
  if (typeof text !== 'string') return text;
  const match = text.match(/^(.*?)\s*[(（]([^()（）]*[\u3400-\u9fff][^()（）]*)[)）]\s*$/u);
  if (!match) return text;
  return language === 'zh' ? match[2] : match[1];
}

setLanguage(language);
