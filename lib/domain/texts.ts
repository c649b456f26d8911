import type { ApprovalStatus, EndReason, StageMode } from './approval.ts';
import type { Locale } from './locale.ts';
import type { MessageLevel } from './message.ts';

/**
 * Every text imhub puts on a platform, in each locale: definition, form and template labels,
 * cards, toasts, start, end and reminder messages, the bot test message. One catalog, so nothing
 * reaches a platform in a language nobody chose. API error messages are not here: they stay English.
 */
export interface Texts {
  /** Between a label and its value: "发起人：alice", "Requested by: alice". */
  colon: string;
  /** Between the names of a list. */
  listSeparator: string;
  /** A remark after a text: "已通过（在卡片上同意）", "Approved (approved on the card)". */
  aside: (text: string) => string;
  /** The name of an approval definition (Feishu), form (DingTalk) or template (WeCom), before its integration's name. */
  definitionName: string;
  /** What a DingTalk form says it is for. */
  definitionDescription: string;
  /** The one form field: the request's title and content. */
  details: string;
  stageName: (stage: number) => string;
  /** DingTalk's remark on an instance imhub withdraws. */
  withdrawRemark: string;
  status: Record<ApprovalStatus, string>;
  /** The card header while pending. */
  requested: string;
  requestedBy: string;
  someone: string;
  stage: string;
  stageOf: (stage: number, stages: number, mode: StageMode) => string;
  waitingFor: string;
  timesOut: string;
  outcome: string;
  /** A decision on a card: "Approved by alice (stage 2): ship it". */
  decisionLine: (decision: 'approve' | 'reject', who: string, stage: number | undefined, comment: string | undefined) => string;
  /** A decision in an end message, with its time. */
  decisionAt: (decision: 'approve' | 'reject', who: string, at: string, comment: string | undefined) => string;
  moreDecisions: (count: number) => string;
  openInApp: string;
  open: string;
  approve: string;
  reject: string;
  commentPlaceholder: string;
  clickApproved: string;
  clickRejected: string;
  clickEnded: (status: string) => string;
  clickTimedOut: string;
  clickAlreadyDecided: string;
  clickNotHere: string;
  clickNotApprover: string;
  clickUnknown: string;
  clickRepeated: string;
  clickNoMoreDecisions: string;
  clickBusy: string;
  cardsNotHandled: string;
  /** Why an approval ended, for each of `endReasons`; any other reason (a failure's) is shown as it is. */
  endReasons: Record<EndReason, string>;
  startTitle: (title: string) => string;
  endTitle: (status: string, title: string) => string;
  startRequestedBy: (who: string) => string;
  startApprovers: (stages: { mode: StageMode; approvers: string[] }[]) => string;
  endOutcome: (status: string, reason: string | undefined) => string;
  reminderTitle: (title: string) => string;
  reminderText: (since: string, number: number, times: number) => string;
  escalatedTitle: (title: string) => string;
  escalatedText: (since: string, waitingFor: string[]) => string;
  botTest: (integrationName: string) => string;
  level: Record<MessageLevel, string>;
}

const zhCN: Texts = {
  colon: '：',
  listSeparator: '、',
  aside: (text) => `（${text}）`,
  definitionName: 'imhub 审批',
  definitionDescription: '由 imhub 发起的审批',
  details: '详情',
  stageName: (stage) => `第 ${stage} 级审批`,
  withdrawRemark: 'imhub 已撤回（超时或已取消）',
  status: { pending: '审批中', approved: '已通过', rejected: '已拒绝', canceled: '已撤销', expired: '已超时', failed: '发起失败' },
  requested: '审批请求',
  requestedBy: '发起人',
  someone: '未知用户',
  stage: '审批进度',
  stageOf: (stage, stages, mode) => `第 ${stage} 级，共 ${stages} 级（${mode === 'all' ? '需全部审批人同意' : '任一审批人同意即可'}）`,
  waitingFor: '待审批人',
  timesOut: '截止时间',
  outcome: '审批结果',
  decisionLine: (decision, who, stage, comment) => `${who} ${decision === 'approve' ? '已同意' : '已拒绝'}${stage === undefined ? '' : `（第 ${stage} 级）`}${comment ? `：${comment}` : ''}`,
  decisionAt: (decision, who, at, comment) => `${who} 于 ${at} ${decision === 'approve' ? '同意' : '拒绝'}${comment ? `：${comment}` : ''}`,
  moreDecisions: (count) => `…… 另有 ${count} 条审批记录`,
  openInApp: '在审批应用中查看',
  open: '查看详情',
  approve: '同意',
  reject: '拒绝',
  commentPlaceholder: '审批意见（选填）',
  clickApproved: '你已同意该审批',
  clickRejected: '你已拒绝该审批',
  clickEnded: (status) => `该审批已结束：${status}`,
  clickTimedOut: '该审批已超时',
  clickAlreadyDecided: '你已审批过这一级',
  clickNotHere: '该审批不能在这里处理',
  clickNotApprover: '你不是这一级的审批人',
  clickUnknown: '找不到该审批',
  clickRepeated: '这次操作已经收到了',
  clickNoMoreDecisions: '该审批无法再记录更多审批意见',
  clickBusy: '该审批正在更新，请稍后再试',
  cardsNotHandled: '此处无法处理卡片操作',
  endReasons: {
    'approved on the platform': '在审批应用中通过',
    'rejected on the platform': '在审批应用中拒绝',
    'canceled on the platform': '在审批应用中撤销',
    'deleted on the platform': '审批实例已被删除',
    'timed out': '超过截止时间未处理',
    'approved by timeout policy': '超时后按规则自动通过',
    'canceled through the API': '经 API 撤销',
    'approved on the card': '在卡片上同意',
    'rejected on the card': '在卡片上拒绝',
  },
  startTitle: (title) => `审批请求：${title}`,
  endTitle: (status, title) => `审批${status}：${title}`,
  startRequestedBy: (who) => `发起人：${who}`,
  startApprovers: (stages) => `审批人：${stages.map((stage, index) => `第 ${index + 1} 级（${stage.mode === 'all' ? '全部同意' : '任一人同意'}）：${stage.approvers.join('、')}`).join('；')}`,
  endOutcome: (status, reason) => `审批结果：**${status}**${reason ? `（${reason}）` : ''}`,
  reminderTitle: (title) => `催办：${title}`,
  reminderText: (since, number, times) => `有一条审批等你处理，发起于 ${since}（第 ${number} 次提醒，共 ${times} 次）。`,
  escalatedTitle: (title) => `升级提醒：${title}`,
  escalatedText: (since, waitingFor) => `该审批发起于 ${since}，至今仍未处理完${waitingFor.length ? `，正在等待 ${waitingFor.join('、')} 审批` : ''}。`,
  botTest: (name) => `imhub：此群机器人已接入集成“${name}”。`,
  level: { info: '通知', success: '成功', warning: '警告', error: '错误' },
};

const enUS: Texts = {
  colon: ': ',
  listSeparator: ', ',
  aside: (text) => ` (${text})`,
  definitionName: 'imhub approvals',
  definitionDescription: 'Approvals started by imhub',
  details: 'Details',
  stageName: (stage) => `Stage ${stage}`,
  withdrawRemark: 'Withdrawn by imhub (timeout or cancel)',
  status: { pending: 'Pending', approved: 'Approved', rejected: 'Rejected', canceled: 'Canceled', expired: 'Expired', failed: 'Failed' },
  requested: 'Approval requested',
  requestedBy: 'Requested by',
  someone: 'someone',
  stage: 'Stage',
  stageOf: (stage, stages, mode) => `${stage} of ${stages} (${mode === 'all' ? 'everyone must approve' : 'one approval is enough'})`,
  waitingFor: 'Waiting for',
  timesOut: 'Times out',
  outcome: 'Outcome',
  decisionLine: (decision, who, stage, comment) => `${decision === 'approve' ? 'Approved' : 'Rejected'} by ${who}${stage === undefined ? '' : ` (stage ${stage})`}${comment ? `: ${comment}` : ''}`,
  decisionAt: (decision, who, at, comment) => `${decision === 'approve' ? 'Approved' : 'Rejected'} by ${who} at ${at}${comment ? `: ${comment}` : ''}`,
  moreDecisions: (count) => `… and ${count} more`,
  openInApp: 'Open in the approval app',
  open: 'Open',
  approve: 'Approve',
  reject: 'Reject',
  commentPlaceholder: 'Comment (optional)',
  clickApproved: 'You approved this request',
  clickRejected: 'You rejected this request',
  clickEnded: (status) => `This approval has already ended: ${status}`,
  clickTimedOut: 'This approval has timed out',
  clickAlreadyDecided: 'You have already decided on this stage',
  clickNotHere: 'This approval cannot be decided here',
  clickNotApprover: 'You are not an approver of this stage',
  clickUnknown: 'This approval is not known here',
  clickRepeated: 'This click was already received',
  clickNoMoreDecisions: 'This approval cannot take more decisions',
  clickBusy: 'This approval is changing: try again in a moment',
  cardsNotHandled: 'Cards are not handled here',
  endReasons: {
    'approved on the platform': 'approved on the platform',
    'rejected on the platform': 'rejected on the platform',
    'canceled on the platform': 'canceled on the platform',
    'deleted on the platform': 'deleted on the platform',
    'timed out': 'timed out',
    'approved by timeout policy': 'approved by timeout policy',
    'canceled through the API': 'canceled through the API',
    'approved on the card': 'approved on the card',
    'rejected on the card': 'rejected on the card',
  },
  startTitle: (title) => `Approval requested: ${title}`,
  endTitle: (status, title) => `Approval ${status.toLowerCase()}: ${title}`,
  startRequestedBy: (who) => `Requested by ${who}`,
  startApprovers: (stages) => `Approvers: ${stages.map((stage, index) => `stage ${index + 1} (${stage.mode}): ${stage.approvers.join(', ')}`).join('; ')}`,
  endOutcome: (status, reason) => `Outcome: **${status.toLowerCase()}**${reason ? ` (${reason})` : ''}`,
  reminderTitle: (title) => `Reminder: ${title}`,
  reminderText: (since, number, times) => `Waiting for your approval since ${since} (reminder ${number} of ${times}).`,
  escalatedTitle: (title) => `Escalated: ${title}`,
  escalatedText: (since, waitingFor) => `Pending since ${since}${waitingFor.length ? `, waiting for ${waitingFor.join(', ')}` : ''}.`,
  botTest: (name) => `imhub: this group bot is connected to integration "${name}".`,
  level: { info: 'Info', success: 'Success', warning: 'Warning', error: 'Error' },
};

export const catalog: Record<Locale, Texts> = { 'zh-CN': zhCN, 'en-US': enUS };

/** The texts of `locale`. */
export const textsFor = (locale: Locale): Texts => catalog[locale];

/** Why an approval ended, in `locale` where imhub wrote the reason; a platform's own reason as it came. */
export const endReasonText = (texts: Texts, reason: string | undefined) => (reason === undefined ? undefined : ((texts.endReasons as Record<string, string>)[reason] ?? reason));
