/**
 * The page's CSS, inline (the sandbox works without the internet: no fonts, images or scripts from
 * elsewhere). Each pane takes its platform's look: Feishu/Lark's blue (#3370ff) with round avatars
 * and card header templates, DingTalk's blue (#0089ff) with name avatars, WeCom's blue (#1890ff)
 * with square avatars and template cards on a grey chat.
 */
export const styles = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei","Segoe UI",Roboto,sans-serif;color:#1f2329;background:#eef0f3}
.top{display:flex;align-items:center;gap:1rem;padding:.6rem 1rem;background:#1f2329;color:#fff}
.top h1{font-size:16px;margin:0}.top a{color:#9cc1ff}.top .hint{color:#bbbfc4;font-size:12px;margin-left:auto}
.flash{margin:.6rem 1rem 0;padding:.5rem .8rem;border-radius:6px;background:#e1eaff;color:#1f2329}.flash.error{background:#fde2e2;color:#8f1d1a}
.panes{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:12px;padding:12px}
.pane{background:#fff;border-radius:10px;overflow:hidden;box-shadow:0 1px 4px #0002;display:flex;flex-direction:column;max-height:calc(100vh - 90px);min-height:420px}
.pane-head{display:flex;align-items:center;gap:.5rem;padding:.55rem .8rem;color:#fff}
.pane-head .logo{width:26px;height:26px;border-radius:7px;background:#fff;display:inline-flex;align-items:center;justify-content:center;font-weight:700}
.pane-name{font-weight:600;font-size:15px}.pane-english{opacity:.85;font-size:12px}
.pane-body{overflow:auto;flex:1;padding:0 0 1rem}
.section-head{margin:0;padding:.45rem .8rem;font-size:13px;font-weight:600;color:#646a73;background:#f5f6f7;border-top:1px solid #e4e5e7;border-bottom:1px solid #e4e5e7}
.list-head{margin:.6rem .8rem .3rem;font-size:12px;font-weight:600;color:#8f959e}.count{font-weight:400}
.empty{margin:.3rem .8rem;color:#8f959e;font-size:13px}
.muted{color:#8f959e}
.avatar{display:inline-flex;align-items:center;justify-content:center;flex:none;width:28px;height:28px;color:#fff;font-size:12px;font-weight:600;border-radius:50%}
.avatar.square{border-radius:5px}.avatar.dingtalk{border-radius:9px;font-size:11px;width:30px;height:30px}
.task{margin:.4rem .8rem;padding:.6rem .7rem;border:1px solid #e4e5e7;border-radius:8px;background:#fff}
.task.done{background:#fafbfc}
.task-head{display:flex;align-items:flex-start;gap:.5rem}.task-title{font-weight:600;flex:1;word-break:break-word}
.tag{flex:none;font-size:12px;padding:0 .45rem;border-radius:4px;line-height:20px}
.tag.pending{background:#e1eaff;color:#245bdb}.tag.approved{background:#d9f5d6;color:#237b19}.tag.rejected{background:#fde2e2;color:#d83931}.tag.canceled{background:#eff0f1;color:#646a73}
.task-meta{display:flex;align-items:center;gap:.4rem;color:#646a73;font-size:12px;margin:.35rem 0}.task-meta .avatar{width:20px;height:20px;font-size:10px}
.task-meta time,.act time{margin-left:auto;color:#8f959e;font-size:12px}
.task-text{background:#f5f6f7;border-radius:6px;padding:.35rem .5rem;font-size:13px;word-break:break-word}
.flow{list-style:none;margin:.5rem 0 0;padding:0 0 0 .6rem;border-left:2px solid #e4e5e7}
.node{margin:0 0 .35rem}.node.current .node-head{color:#245bdb}.node-head{font-size:12px;color:#8f959e}
.acts{list-style:none;margin:.15rem 0 0;padding:0}
.act{display:flex;flex-wrap:wrap;align-items:center;gap:.35rem;margin:.2rem 0}.act .avatar{width:22px;height:22px;font-size:10px}
.act-word{font-size:12px}.act.approved .act-word{color:#237b19}.act.rejected .act-word{color:#d83931}.act.waiting .act-word{color:#8f959e}
.comment{flex-basis:100%;margin:.1rem 0 0 1.7rem;padding:.25rem .5rem;background:#f5f6f7;border-radius:6px;font-size:13px}
.act-form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin-top:.55rem;padding-top:.5rem;border-top:1px dashed #e4e5e7;font-size:13px}
.act-form input[name=comment]{flex:1 1 10rem;min-width:0}
.act-buttons{display:flex;gap:.4rem;margin-left:auto}
input,select,textarea{font:inherit;font-size:13px;border:1px solid #d0d3d6;border-radius:6px;padding:.25rem .45rem;background:#fff;color:inherit}
textarea{width:100%;resize:vertical}
.btn{font:inherit;font-size:13px;border-radius:6px;border:1px solid #d0d3d6;background:#fff;color:#1f2329;padding:.25rem .9rem;cursor:pointer;text-decoration:none;display:inline-block}
.btn:disabled{opacity:.55;cursor:default}
.chat{padding:.3rem .6rem;background:#f5f6f7;min-height:3rem}
.msg{margin:.55rem 0}.msg-meta{font-size:11px;color:#8f959e;margin:0 0 .15rem 36px}
.msg-row{display:flex;gap:.45rem;align-items:flex-start}.msg-content{min-width:0;flex:1;max-width:100%}
.bubble{display:inline-block;max-width:100%;background:#fff;border-radius:8px;padding:.4rem .6rem;word-break:break-word;box-shadow:0 1px 1px #0000000d}
.bubble p,.fs-md p,.dt-card-body p,.dt-action-body p{margin:0}.bubble .gap,.fs-md .gap,.dt-card-body .gap,.dt-action-body .gap{height:.5em}
.md-h1,.md-h2,.md-h3,.post-title{font-weight:600}.md-h1{font-size:17px}.md-h2{font-size:16px}.md-h3{font-size:15px}
blockquote{margin:.2rem 0;padding-left:.5rem;border-left:3px solid #d0d3d6;color:#646a73}
ul,ol{margin:.1rem 0;padding-left:1.2rem}code{background:#eff0f1;border-radius:3px;padding:0 .2rem;font-size:12px}pre{white-space:pre-wrap;font-size:12px;background:#f5f6f7;padding:.4rem;border-radius:6px;max-height:20rem;overflow:auto}
.mention{color:#3370ff}
.font-green{color:#2ea121}.font-grey{color:#8f959e}.font-orange{color:#ff7d00}.font-red{color:#f54a45}.font-blue{color:#3370ff}
.unknown details{font-size:12px}
.card-form{margin:0}.click-as{display:block;font-size:12px;color:#646a73;margin-bottom:.25rem}
.card-log{list-style:none;margin:.3rem 0 0;padding:0;font-size:12px}.card-log li{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem;margin:.15rem 0}.card-log .avatar{width:18px;height:18px;font-size:9px}
.card-log .approve .act-word{color:#237b19}.card-log .reject .act-word{color:#d83931}
/* Feishu / Lark */
.feishu .pane-head,.lark .pane-head{background:#3370ff}.feishu .logo,.lark .logo{color:#3370ff}
.lark .pane-head{background:linear-gradient(90deg,#3370ff,#00d6b9)}
.fs-card{background:#fff;border:1px solid #dee0e3;border-radius:8px;overflow:hidden;max-width:420px}
.fs-head{padding:.55rem .75rem}.fs-title{font-weight:600;font-size:15px}.fs-subtitle{font-size:12px;opacity:.85}
.tpl-blue{background:#e1eaff;color:#245bdb}.tpl-wathet{background:#d9f3fd;color:#037eaa}.tpl-turquoise{background:#d5f6f2;color:#078372}.tpl-green{background:#d9f5d6;color:#237b19}
.tpl-yellow{background:#faf1d1;color:#aa7803}.tpl-orange{background:#feead2;color:#b26206}.tpl-red{background:#fde2e2;color:#d83931}.tpl-carmine{background:#fdddef;color:#c71077}
.tpl-violet{background:#f8def8;color:#b220b2}.tpl-purple{background:#ece2fe;color:#6425d0}.tpl-indigo{background:#e0e9ff;color:#2e45c9}.tpl-grey{background:#eff0f1;color:#646a73}.tpl-default{background:#fff;color:#1f2329;border-bottom:1px solid #dee0e3}
.fs-body{padding:.5rem .75rem;display:flex;flex-direction:column;gap:.45rem}
.fs-text{white-space:normal;word-break:break-word}.fs-fields{display:grid;grid-template-columns:1fr 1fr;gap:.25rem}
.fs-note{font-size:12px;color:#8f959e}
.fs-columns{display:flex;gap:.5rem;flex-wrap:wrap}.fs-form{display:flex;flex-direction:column;gap:.45rem}
.fs-input.disabled{border:1px solid #dee0e3;border-radius:6px;padding:.3rem .5rem;color:#bbbfc4}
.btn.primary_filled,.btn.primary{background:#3370ff;border-color:#3370ff;color:#fff}.btn.danger{color:#f54a45;border-color:#f54a45}.btn.danger_filled{background:#f54a45;border-color:#f54a45;color:#fff}
.feishu .btn.approve,.lark .btn.approve{background:#3370ff;border-color:#3370ff;color:#fff}.feishu .btn.reject,.lark .btn.reject{color:#f54a45;border-color:#f54a45}
/* DingTalk */
.dingtalk .pane-head{background:#0089ff}.dingtalk .logo{color:#0089ff}
.dingtalk .chat{background:#f2f3f5}
.dingtalk .tag.pending{background:#fff3e0;color:#ff9500}
.dingtalk .btn.approve,.dt-card .btn.primary{background:#0089ff;border-color:#0089ff;color:#fff}.dingtalk .btn.reject,.dt-card .btn.danger{color:#ff5219;border-color:#ff5219}
.dt-card,.dt-action{background:#fff;border-radius:8px;max-width:420px;box-shadow:0 1px 2px #0000001a;overflow:hidden}
.dt-card-head{padding:.55rem .75rem;border-left:4px solid #0089ff}.dt-card.status-success .dt-card-head{border-color:#00b42a}.dt-card.status-error .dt-card-head{border-color:#ff5219}.dt-card.status-warning .dt-card-head{border-color:#ff9500}
.dt-card-title{font-weight:600;font-size:15px}.dt-card-status{font-size:12px;color:#747677}
.dt-card-body,.dt-action-body{padding:.45rem .75rem}.dt-card>textarea{margin:0 .75rem;width:calc(100% - 1.5rem)}
.dt-card-buttons{display:flex;gap:.5rem;padding:.5rem .75rem}.dt-card-buttons .btn{flex:1}
.dt-action-buttons{border-top:1px solid #ebedf0;display:flex;flex-direction:column}.dt-action-buttons.row{flex-direction:row}
.dt-action-button{flex:1;text-align:center;padding:.4rem;border-top:1px solid #ebedf0}.dt-action-button a{color:#0089ff;text-decoration:none}
.dt-oa-head{background:#0089ff;color:#fff;padding:.3rem .75rem}
.link-card{background:#fff;border-radius:8px;padding:.5rem .7rem;max-width:380px}
.dt-feed{background:#fff;border-radius:8px;max-width:380px}.dt-feed-item{padding:.45rem .7rem;border-bottom:1px solid #ebedf0}
.facts{margin:.3rem 0 0}.facts div{font-size:13px}.facts dt{display:inline;color:#747677}.facts dd{display:inline;margin:0 0 0 .3rem}
/* WeCom */
.wecom .pane-head{background:#1890ff}.wecom .logo{color:#1890ff}
.wecom .chat{background:#ededed}
.wecom .btn.approve{background:#1890ff;border-color:#1890ff;color:#fff}.wecom .btn.reject{color:#fa5151;border-color:#fa5151}
.wc-card,.wc-textcard,.wc-news{background:#fff;border-radius:6px;max-width:400px;padding:.6rem .75rem;box-shadow:0 1px 1px #0000000d}
.wc-source{display:flex;align-items:center;gap:.35rem;font-size:12px;color:#8f959e;margin-bottom:.35rem}.wc-source-icon{width:16px;height:16px;border-radius:3px;background:#1890ff;color:#fff;font-size:10px;display:inline-flex;align-items:center;justify-content:center}
.wc-title{font-weight:600;font-size:16px}.wc-title-desc{font-size:12px;color:#8f959e}
.wc-emphasis{margin:.4rem 0}.wc-emphasis strong{display:block;font-size:26px;color:#1890ff}.wc-emphasis span{font-size:12px;color:#8f959e}
.wc-quote{background:#f5f5f5;padding:.3rem .5rem;margin:.4rem 0;border-radius:4px;font-size:13px;color:#646a73}
.wc-sub{margin:.4rem 0;color:#4d4d4d;font-size:13px}
.wc-facts{margin:.4rem 0}.wc-facts div{display:flex;gap:.6rem;font-size:13px}.wc-facts dt{color:#8f959e;min-width:4.5rem}.wc-facts dd{margin:0;word-break:break-word}
.wc-jumps a{display:block;font-size:13px;color:#1890ff}
.wc-buttons{display:flex;gap:.5rem;margin-top:.55rem;border-top:1px solid #f0f0f0;padding-top:.55rem}.wc-buttons .btn{flex:1}
.btn.wc-style-1{background:#1890ff;border-color:#1890ff;color:#fff}.btn.wc-style-2{color:#fa5151;border-color:#e5e5e5}.btn.wc-style-3{color:#1890ff;border-color:#e5e5e5}
.wc-replaced{flex:1;text-align:center;color:#8f959e;background:#f5f5f5;border-radius:4px;padding:.3rem}
.wc-desc .wc-gray{color:#8f959e}.wc-desc .wc-highlight{color:#fa9d3b}.wc-more{margin-top:.4rem;padding-top:.35rem;border-top:1px solid #f0f0f0;font-size:13px}.wc-more a{color:#4d4d4d}
.wc-article{padding:.3rem 0;border-bottom:1px solid #f0f0f0}
`;
