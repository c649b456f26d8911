import type { SimPlatform } from '../platform-simulator.ts';

/**
 * The four panes of the sandbox page and what makes each look like its platform: names, the words
 * its approval app uses for states and actions, how it draws avatars. Feishu, DingTalk and WeCom
 * speak Chinese, as their apps do for teams in China; Lark speaks English.
 */
export type PaneId = 'feishu' | 'lark' | 'dingtalk' | 'wecom';
export const paneIds: readonly PaneId[] = ['feishu', 'lark', 'dingtalk', 'wecom'];

export interface Brand {
  id: PaneId;
  platform: SimPlatform;
  /** The name as the app shows it, and in English. */
  name: string;
  english: string;
  logo: string;
  avatar: 'round' | 'square' | 'dingtalk';
  lang: 'zh-CN' | 'en';
  words: {
    approvals: string;
    chat: string;
    pending: string;
    approved: string;
    rejected: string;
    canceled: string;
    approve: string;
    reject: string;
    comment: string;
    actAs: string;
    clickAs: string;
    requester: string;
    todo: string;
    done: string;
    noTasks: string;
    noHistory: string;
    noMessages: string;
    any: string;
    all: string;
    stage: (index: number, of: number) => string;
    waiting: string;
    to: string;
    group: string;
    bot: string;
    updated: (times: number) => string;
  };
}

const chinese = {
  approvals: '审批',
  chat: '消息',
  pending: '审批中',
  approved: '已通过',
  rejected: '已拒绝',
  canceled: '已撤回',
  approve: '同意',
  reject: '拒绝',
  comment: '审批意见（选填）',
  actAs: '审批人',
  clickAs: '查看人',
  requester: '发起人',
  todo: '待处理',
  done: '已处理',
  noTasks: '暂无待处理的审批',
  noHistory: '暂无已处理的审批',
  noMessages: '暂无消息',
  any: '或签',
  all: '会签',
  stage: (index: number, of: number) => `第 ${index} / ${of} 个审批节点`,
  waiting: '待审批',
  to: '发给',
  group: '群',
  bot: '群机器人',
  updated: (times: number) => `卡片已更新 ${times} 次`,
};

export const brands: Record<PaneId, Brand> = {
  // Feishu approval (飞书审批): instance states 审批中 / 已通过 / 已拒绝 / 已撤回 (PENDING, APPROVED, REJECTED, CANCELED).
  feishu: { id: 'feishu', platform: 'feishu', name: '飞书', english: 'Feishu', logo: '飞', avatar: 'round', lang: 'zh-CN', words: chinese },
  lark: {
    id: 'lark',
    platform: 'feishu',
    name: 'Lark',
    english: 'Lark',
    logo: 'L',
    avatar: 'round',
    lang: 'en',
    words: {
      approvals: 'Approval',
      chat: 'Messenger',
      pending: 'Pending',
      approved: 'Approved',
      rejected: 'Rejected',
      canceled: 'Withdrawn',
      approve: 'Approve',
      reject: 'Reject',
      comment: 'Comment (optional)',
      actAs: 'Approver',
      clickAs: 'Viewing as',
      requester: 'Submitted by',
      todo: 'Pending',
      done: 'Processed',
      noTasks: 'No pending approvals',
      noHistory: 'No processed approvals',
      noMessages: 'No messages yet',
      any: 'Any one approves',
      all: 'All must approve',
      stage: (index, of) => `Node ${index} of ${of}`,
      waiting: 'Waiting',
      to: 'To',
      group: 'Group',
      bot: 'Group bot',
      updated: (times) => `Card updated ${times}×`,
    },
  },
  // DingTalk OA 审批: 审批中, then 已同意 / 已拒绝 (result agree / refuse), 已撤销 (TERMINATED).
  dingtalk: { id: 'dingtalk', platform: 'dingtalk', name: '钉钉', english: 'DingTalk', logo: '钉', avatar: 'dingtalk', lang: 'zh-CN', words: { ...chinese, approved: '已同意', canceled: '已撤销' } },
  // WeCom 审批 sp_status: 1 审批中, 2 已通过, 3 已驳回, 4 已撤销.
  wecom: { id: 'wecom', platform: 'wecom', name: '企业微信', english: 'WeCom', logo: '企', avatar: 'square', lang: 'zh-CN', words: { ...chinese, rejected: '已驳回', reject: '驳回', canceled: '已撤销' } },
};
