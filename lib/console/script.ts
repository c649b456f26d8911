import { platformGuides } from './platform-guides.ts';
import { quotaDetailPrefix, quotaSkippedDetail } from '../domain/integration-setup.ts';
import { consoleTexts } from './texts.ts';

/**
 * The console's script, served as `/console/app.js`. Plain JavaScript in a string, so the Lambda
 * bundle carries it without a build step; it is written without backticks and `${`, so that it reads
 * as the code it is. Every value from the API is put on the page with `textContent` (never as HTML).
 * The API key lives in this tab's sessionStorage only and goes out as a Bearer header to this origin.
 */
const script = String.raw`
'use strict';
var TEXTS = __TEXTS__;
var GUIDES = __GUIDES__;
var QUOTA_PREFIX = __QUOTA_PREFIX__;
var QUOTA_SKIPPED = __QUOTA_SKIPPED__;
var KEY_ITEM = 'imhub.console.key';
var LANG_ITEM = 'imhub.console.lang';
var app = document.getElementById('app');
var sandboxUrl = document.documentElement.getAttribute('data-sandbox-url');
var pollTimer = null;

function pickLang() {
  var saved = localStorage.getItem(LANG_ITEM);
  if (saved === 'zh-CN' || saved === 'en-US') return saved;
  var wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'zh-CN']);
  for (var i = 0; i < wanted.length; i++) {
    var tag = String(wanted[i]).toLowerCase();
    if (tag.indexOf('zh') === 0) return 'zh-CN';
    if (tag.indexOf('en') === 0) return 'en-US';
  }
  return 'zh-CN';
}
var lang = pickLang();
function t(key) {
  var text = TEXTS[lang][key];
  return text === undefined ? key : text;
}
/** The text of key, or fallback (a value shown as it comes) when the console has none. */
function known(key, fallback) {
  var text = TEXTS[lang][key];
  return text === undefined ? fallback : text;
}
function local(pair) {
  return pair[lang] || pair['en-US'];
}

/** h('tag.class', {attr: value, onclick: fn}, child, ...): children are nodes or text, never HTML. */
function h(spec, attrs) {
  var parts = spec.split('.');
  var node = document.createElement(parts[0]);
  if (parts.length > 1) node.className = parts.slice(1).join(' ');
  if (attrs) {
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name.indexOf('on') === 0) node.addEventListener(name.slice(2), value);
      else if (name === 'value') node.value = value;
      else if (name === 'checked') node.checked = node.defaultChecked = Boolean(value);
      else node.setAttribute(name, value === true ? '' : String(value));
    });
  }
  for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
  return node;
}
/** Replaces a node's children; like replaceChildren, but flattens lists and skips empty values. */
function fill(node) {
  node.textContent = '';
  for (var i = 1; i < arguments.length; i++) append(node, arguments[i]);
  return node;
}
function append(node, child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) child.forEach(function (each) { append(node, each); });
  else node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}
/** A status badge; key names its text when status.<value> would say the wrong thing. */
function status(value, key) {
  return h('span.status.' + String(value).replace(/[^a-z]/g, ''), { 'data-status': value }, t(key || 'status.' + value));
}
function notificationStatus(value) {
  return status(value, value === 'pending' ? 'notification.pending' : undefined);
}
/** A webhook is waiting until the approval ends, then pending (sending, or retrying after a failed attempt). */
function webhookStatus(webhook) {
  var key = webhook.state === 'pending' ? (webhook.attempts.length ? 'webhook.retrying' : 'webhook.sending') : 'webhook.' + webhook.state;
  return status(webhook.state, TEXTS[lang][key] === undefined ? undefined : key);
}
function when(iso) {
  if (!iso) return '';
  var date = new Date(iso);
  return isNaN(date.getTime()) ? String(iso) : date.toLocaleString(lang);
}
function table(headings, rows) {
  return h('table', null, h('thead', null, h('tr', null, headings.map(function (heading) { return h('th', null, heading); }))), h('tbody', null, rows));
}
function copyable(text) {
  return h('span.row', null, h('code.copy', { 'data-copy': '' }, text), h('button', { type: 'button', onclick: function () { navigator.clipboard && navigator.clipboard.writeText(text); } }, t('copy')));
}

// ---- API ----
function apiKey() { return sessionStorage.getItem(KEY_ITEM); }
function api(method, path, body) {
  var init = { method: method, headers: { authorization: 'Bearer ' + apiKey() }, cache: 'no-store' };
  if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
  return fetch(path, init).then(function (response) {
    return response.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (response.status === 401) { signOut(t('signin.expired')); throw new Error(t('signin.expired')); }
      if (!response.ok) {
        var error = (data && data.error) || {};
        var details = Array.isArray(error.details) ? error.details.map(function (d) { return (d.path ? d.path + ': ' : '') + d.message; }).join('\n') : '';
        var failure = new Error((error.message || ('HTTP ' + response.status)) + (details ? '\n' + details : ''));
        failure.status = response.status;
        failure.body = data;
        throw failure;
      }
      return data;
    });
  });
}
function showError(target, error) {
  target.textContent = error && error.message ? error.message : String(error);
}

// ---- shell ----
var pages = [
  ['integrations', 'nav.integrations'],
  ['approvals', 'nav.approvals'],
  ['notifications', 'nav.notifications'],
  ['api-keys', 'nav.apiKeys'],
];
function shell(current, content) {
  var nav = h('nav', null, pages.map(function (page) {
    return h('a', { href: '#/' + page[0], class: page[0] === current ? 'active' : null }, t(page[1]));
  }));
  var tools = h('div.row', null,
    sandboxUrl ? h('a', { href: sandboxUrl, target: '_blank', rel: 'noopener noreferrer', id: 'sandbox-link' }, 'Sandbox / 沙箱') : null,
    languageSelect(render),
    h('button', { type: 'button', onclick: function () { signOut(); } }, t('signout')));
  fill(app, h('header', null, h('span.brand', null, 'imhub'), nav, tools), h('main', null, content));
  document.documentElement.lang = lang;
  document.title = t('title');
}
/** The language picker; after a change it calls then(). */
function languageSelect(then) {
  return h('select', { 'aria-label': 'Language / 语言', id: 'lang', onchange: function (event) { localStorage.setItem(LANG_ITEM, event.target.value); lang = event.target.value; then(); } },
    h('option', { value: 'zh-CN', selected: lang === 'zh-CN' }, '中文'),
    h('option', { value: 'en-US', selected: lang === 'en-US' }, 'English'));
}
function signOut(message) {
  sessionStorage.removeItem(KEY_ITEM);
  location.hash = '#/signin';
  renderSignIn(message);
}

function renderSignIn(message) {
  document.documentElement.lang = lang;
  document.title = t('title');
  var input = h('input', { type: 'password', name: 'apiKey', autocomplete: 'off', placeholder: 'imh_…', required: true });
  var error = h('p.error', { role: 'alert' }, message || '');
  var form = h('form', { onsubmit: function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY_ITEM, input.value.trim());
    // A key with any scope may sign in: the pages say what its scopes do not allow.
    api('GET', '/v1/integrations?limit=1').catch(function (failure) { if (failure.status !== 403) throw failure; }).then(function () {
      // Setting the hash it already has fires no hashchange: then render here.
      if (location.hash === '#/integrations') render();
      else location.hash = '#/integrations';
    }, function (failure) { sessionStorage.removeItem(KEY_ITEM); showError(error, failure); });
  } },
    h('h1', null, t('signin.title')),
    h('p.muted', null, t('signin.help')),
    h('label', null, t('signin.key'), input),
    h('p', null, h('button.primary', { type: 'submit' }, t('signin.submit'))),
    error);
  fill(app, h('main', null, h('section.card.signin', null, form,
    h('p', null, languageSelect(function () { renderSignIn(); })))));
}

// ---- integrations ----
function renderIntegrations() {
  var body = h('tbody');
  var error = h('p.error');
  var list = h('section.card', null, h('h1', null, t('nav.integrations')), h('table', null,
    h('thead', null, h('tr', null, [t('col.name'), t('col.platform'), t('col.kind'), t('col.created')].map(function (x) { return h('th', null, x); }))), body), error);
  var adders = h('div.platforms', null, Object.keys(GUIDES).map(function (id) {
    return h('button', { type: 'button', 'data-add': id, onclick: function () { location.hash = '#/integrations/new/' + id; } }, '+ ' + local(GUIDES[id].title));
  }));
  shell('integrations', [list, h('section.card', null, h('h2', null, t('integrations.add')), adders)]);
  pageThrough('/v1/integrations?limit=100', function (item) {
    return h('tr.link', { 'data-id': item.id, onclick: function () { location.hash = '#/integrations/' + encodeURIComponent(item.id); } },
      h('td', null, item.name), h('td', null, t('platform.' + item.provider)), h('td', null, t('kind.' + item.kind)), h('td', null, when(item.createdAt)));
  }, body, error);
}

/** Appends every page of a listing (a "more" button after each page that has a next one). */
function pageThrough(path, row, body, error) {
  api('GET', path).then(function (page) {
    page.items.forEach(function (item) { body.appendChild(row(item)); });
    // A filtered page may come back empty with more to read: "nothing" only when there is no more.
    if (!page.nextCursor && !body.children.length) body.appendChild(h('tr', null, h('td.muted', { colspan: 9 }, t('empty'))));
    if (page.nextCursor) {
      var more = h('tr', null, h('td', { colspan: 9 }, h('button', { type: 'button', onclick: function () {
        more.remove();
        pageThrough(path + (path.indexOf('?') < 0 ? '?' : '&') + 'cursor=' + encodeURIComponent(page.nextCursor), row, body, error);
      } }, t('more'))));
      body.appendChild(more);
    }
  }).catch(function (failure) { showError(error, failure); });
}

function renderNewIntegration(guideId) {
  var guide = GUIDES[guideId];
  if (!guide) return renderNotFound();
  var error = h('p.error', { role: 'alert' });
  var fields = guide.fields.map(function (field) {
    return h('label', null, field.name, ' ', h('small', null, local(field.help) + (field.required ? '' : ' · ' + t('optional'))),
      h('input', { name: field.name, type: field.secret ? 'password' : 'text', autocomplete: 'off', required: field.required, spellcheck: 'false' }));
  });
  var form = h('form', { onsubmit: function (event) {
    event.preventDefault();
    var data = new FormData(form);
    var credentials = {};
    guide.fields.forEach(function (field) { var value = String(data.get(field.name) || '').trim(); if (value) credentials[field.name] = value; });
    var body = { provider: guide.provider, kind: guide.kind, name: String(data.get('name') || '').trim(), credentials: credentials };
    var base = String(data.get('apiBaseUrl') || '').trim();
    if (base) body.apiBaseUrl = base;
    api('POST', '/v1/integrations', body).then(function (created) {
      location.hash = '#/integrations/' + encodeURIComponent(created.id);
    }, function (failure) { showError(error, failure); });
  } },
    h('label', null, t('col.name'), h('input', { name: 'name', required: true, maxlength: 100 })),
    fields,
    guide.kind === 'app' ? h('details', null, h('summary', null, t('advanced')),
      h('label', null, 'apiBaseUrl ', h('small', null, t('apiBaseUrl.help')), h('input', { name: 'apiBaseUrl', type: 'url', autocomplete: 'off' }))) : null,
    h('p', null, h('button.primary', { type: 'submit' }, t('integrations.create'))),
    error);
  shell('integrations', [
    h('section.card', null, h('h1', null, local(guide.title)), h('p.muted', null, t('guide.intro')),
      h('ol.steps', null, guide.before.map(function (step) { return h('li', null, local(step)); }))),
    h('section.card', null, h('h2', null, t('integrations.credentials')), form),
  ]);
}

function renderIntegration(id) {
  var error = h('p.error', { role: 'alert' });
  var top = h('section.card', null, h('h1', null, t('loading')));
  var checks = h('section.card', { id: 'setup' }, h('h2', null, t('setup.title')));
  shell('integrations', [top, checks, error]);
  api('GET', '/v1/integrations/' + encodeURIComponent(id)).then(function (item) {
    var guide = GUIDES[item.provider + '-' + item.kind];
    var credentialRows = Object.keys(item.credentials).map(function (field) { return h('tr', null, h('th', null, field), h('td.mono', null, item.credentials[field])); });
    fill(top,
      h('h1', null, item.name, ' ', h('span.muted', null, t('platform.' + item.provider) + ' · ' + t('kind.' + item.kind))),
      h('table', null, h('tbody', null,
        h('tr', null, h('th', null, 'id'), h('td.mono', null, item.id)),
        item.callbackUrl ? h('tr', null, h('th', null, t('callbackUrl')), h('td', null, copyable(item.callbackUrl))) : null,
        item.apiBaseUrl ? h('tr', null, h('th', null, 'apiBaseUrl'), h('td.mono', null, item.apiBaseUrl)) : null,
        credentialRows,
        h('tr', null, h('th', null, t('col.created')), h('td', null, when(item.createdAt))))),
      guide && guide.after.length ? [h('h2', null, t('guide.next')), h('ol.steps', null, guide.after.map(function (step) {
        var text = local(step);
        var at = text.indexOf('{callbackUrl}');
        return h('li', null, at < 0 ? text : [text.slice(0, at), copyable(item.callbackUrl || ''), text.slice(at + 13)]);
      }))] : null,
      h('p.row', null,
        h('button', { type: 'button', id: 'verify', onclick: function () {
          api('POST', '/v1/integrations/' + encodeURIComponent(id) + '/verify').then(function (verified) {
            error.textContent = '';
            fill(error, h('span', { class: 'status ok' }, t('status.ok')), ' ', verified.detail);
          }, function (failure) { showError(error, failure); });
        } }, item.kind === 'app' ? t('verify.app') : t('verify.bot')),
        h('button.danger', { type: 'button', onclick: function () {
          if (!confirm(t('integrations.confirmDelete'))) return;
          api('DELETE', '/v1/integrations/' + encodeURIComponent(id)).then(function () { location.hash = '#/integrations'; }, function (failure) { showError(error, failure); });
        } }, t('delete'))));
    if (item.kind === 'app') loadSetup(id, item.provider, checks, 0);
    else fill(checks, h('h2', null, t('setup.title')), h('p.muted', null, t('setup.bot')));
  }).catch(function (failure) { showError(error, failure); });
}

/**
 * What a setup line says: the console's own text for its check and status; the API's detail only
 * where it carries what the platform said (a refused token fetch or call, the last event's type).
 */
function checkDetail(check, provider) {
  var detail = check.detail || '';
  var code = check.platformCode !== undefined ? [' ', h('span.mono', null, t('platformCode') + ' ' + check.platformCode)] : null;
  var key = 'setup.' + check.name + '.' + check.status;
  if (check.name === 'permissions' && TEXTS[lang][key + '.' + provider] !== undefined) key += '.' + provider;
  if (check.name === 'credentials' && check.status === 'unknown' && detail === QUOTA_SKIPPED) return [t('setup.credentials.quota')];
  if (check.name === 'credentials' && check.status === 'failed') return [t(key), ' ', detail, code];
  if (check.name === 'lastEvent' && check.status === 'ok') return [t(key), detail ? [' ', h('span.mono', null, detail)] : null];
  if (check.name === 'lastError' && check.platformCode !== undefined) {
    if (detail.indexOf(QUOTA_PREFIX) === 0) return [t('setup.lastError.quota'), ' ', when(detail.slice(QUOTA_PREFIX.length)), code];
    return [t(check.status === 'ok' ? 'setup.lastError.old' : 'setup.lastError.failed'), ' ', detail, code];
  }
  return [known(key, detail), code];
}

/**
 * The setup check. While the handshake is waiting (the person is saving the request URL in the
 * platform's console right now) it is polled every 3 s, at most 20 times; else on "Refresh" only:
 * each check fetches a token from the platform.
 */
function loadSetup(id, provider, target, round) {
  clearTimeout(pollTimer);
  api('GET', '/v1/integrations/' + encodeURIComponent(id) + '/setup').then(function (setup) {
    if (!document.body.contains(target)) return;
    var rows = setup.checks.map(function (check) {
      return h('tr', { 'data-check': check.name }, h('td', null, t('check.' + check.name)), h('td', null, status(check.status)),
        h('td', null, checkDetail(check, provider)),
        h('td.muted', null, when(check.at)));
    });
    fill(target,
      h('h2', null, t('setup.title'), ' ', h('span', { id: 'setup-ready', class: 'status ' + (setup.ready ? 'ok' : 'waiting'), 'data-ready': String(setup.ready) }, setup.ready ? t('setup.ready') : t('setup.notReady'))),
      table([t('col.check'), t('col.status'), t('col.detail'), t('col.at')], rows),
      h('p.row', null, h('button', { type: 'button', id: 'setup-refresh', onclick: function () { loadSetup(id, provider, target, 0); } }, t('refresh')), h('span.muted', null, t('checkedAt') + ' ' + when(setup.checkedAt))));
    var handshakeWaiting = setup.checks.some(function (check) { return check.name === 'handshake' && check.status === 'waiting'; });
    var polling = handshakeWaiting && round < 20;
    target.setAttribute('data-round', String(round));
    target.setAttribute('data-polling', String(polling));
    if (polling) pollTimer = setTimeout(function () { loadSetup(id, provider, target, round + 1); }, 3000);
  }).catch(function (failure) { fill(target, h('h2', null, t('setup.title')), h('p.error', null, failure.message)); });
}

// ---- approvals ----
var approvalStatuses = ['pending', 'approved', 'rejected', 'canceled', 'expired', 'failed'];
function integrationOptions(select, selected) {
  api('GET', '/v1/integrations?limit=100').then(function (page) {
    page.items.forEach(function (item) { select.appendChild(h('option', { value: item.id, selected: item.id === selected }, item.name + ' (' + t('platform.' + item.provider) + ')')); });
  }).catch(function () { /* a key without read on integrations still lists approvals */ });
}
function filtersOf(query) {
  var params = new URLSearchParams(query || '');
  return { status: params.get('status') || '', integrationId: params.get('integrationId') || '' };
}
function renderApprovals(query) {
  var filters = filtersOf(query);
  var body = h('tbody');
  var error = h('p.error', { role: 'alert' });
  var statusSelect = h('select', { name: 'status' }, h('option', { value: '' }, t('all')), approvalStatuses.map(function (value) { return h('option', { value: value, selected: value === filters.status }, t('status.' + value)); }));
  var integrationSelect = h('select', { name: 'integrationId' }, h('option', { value: '' }, t('all')));
  integrationOptions(integrationSelect, filters.integrationId);
  var apply = function () {
    var params = new URLSearchParams();
    if (statusSelect.value) params.set('status', statusSelect.value);
    if (integrationSelect.value) params.set('integrationId', integrationSelect.value);
    location.hash = '#/approvals' + (params.toString() ? '?' + params.toString() : '');
  };
  statusSelect.addEventListener('change', apply);
  integrationSelect.addEventListener('change', apply);
  shell('approvals', h('section.card', null, h('h1', null, t('nav.approvals')),
    h('div.row', null, h('label', null, t('col.status'), statusSelect), h('label', null, t('col.integration'), integrationSelect)),
    table([t('col.title'), t('col.status'), t('col.created'), t('col.ended')], []), error));
  app.querySelector('main table').replaceChild(body, app.querySelector('main tbody'));
  var params = new URLSearchParams({ limit: '50', order: 'newest' });
  if (filters.status) params.set('status', filters.status);
  if (filters.integrationId) params.set('integrationId', filters.integrationId);
  pageThrough('/v1/approvals?' + params.toString(), function (item) {
    return h('tr.link', { 'data-id': item.id, onclick: function () { location.hash = '#/approvals/' + encodeURIComponent(item.id); } },
      h('td', null, item.title), h('td', null, status(item.status)), h('td', null, when(item.createdAt)), h('td', null, when(item.endedAt)));
  }, body, error);
}

function personText(person) {
  if (!person) return '';
  return person.userId || person.email || person.mobile || JSON.stringify(person);
}
function renderApproval(id) {
  var error = h('p.error', { role: 'alert' });
  var top = h('section.card', null, h('h1', null, t('loading')));
  shell('approvals', [top, error]);
  api('GET', '/v1/approvals/' + encodeURIComponent(id)).then(function (item) { showApproval(item, top, error); }).catch(function (failure) { showError(error, failure); });
}
function showApproval(item, top, error) {
  var events = [{ at: item.createdAt, what: t('timeline.created'), detail: personText(item.requester) }];
  item.decisions.forEach(function (decision) {
    events.push({ at: decision.at, what: t('timeline.' + decision.decision) + ' · ' + t('timeline.stage') + ' ' + (decision.stage + 1), detail: (personText(decision.person) || decision.approver) + (decision.comment ? ' — “' + decision.comment + '”' : '') });
  });
  if (item.endedAt) events.push({ at: item.endedAt, what: t('status.' + item.status), detail: item.endReason ? known('endReason.' + item.endReason, item.endReason) : '' });
  if (item.webhook) item.webhook.attempts.forEach(function (attempt) {
    events.push({ at: attempt.at, what: t('timeline.webhook'), detail: 'HTTP ' + attempt.status + ' · ' + Math.round(attempt.durationMs) + ' ms' + (attempt.error ? ' · ' + attempt.error : '') });
  });
  events.sort(function (a, b) { return String(a.at).localeCompare(String(b.at)); });
  var cancel = item.status === 'pending' ? h('button.danger', { type: 'button', id: 'cancel', onclick: function () {
    if (!confirm(t('approvals.confirmCancel'))) return;
    api('POST', '/v1/approvals/' + encodeURIComponent(item.id) + '/cancel').then(function (after) { showApproval(after, top, error); }, function (failure) { showError(error, failure); });
  } }, t('approvals.cancel')) : null;
  fill(top,
    h('h1', null, item.title, ' ', status(item.status)),
    item.content ? h('p', null, item.content) : null,
    h('table', null, h('tbody', null,
      h('tr', null, h('th', null, 'id'), h('td.mono', null, item.id)),
      h('tr', null, h('th', null, t('col.integration')), h('td.mono', null, item.integrationId)),
      h('tr', null, h('th', null, t('approvals.via')), h('td', null, known('via.' + item.via, item.via))),
      h('tr', null, h('th', null, t('approvals.requester')), h('td', null, personText(item.requester))),
      h('tr', null, h('th', null, t('approvals.stages')), h('td', null, item.stages.map(function (stage, index) { return h('div', null, (index + 1) + '. ' + stage.mode + ': ' + stage.approvers.map(personText).join(', ')); }))),
      item.platformInstanceId ? h('tr', null, h('th', null, t('approvals.instance')), h('td.mono', null, item.platformInstanceId)) : null,
      h('tr', null, h('th', null, t('approvals.timeout')), h('td', null, when(item.timeoutAt) + ' (' + known('onTimeout.' + item.onTimeout, item.onTimeout) + ')')),
      item.webhook ? h('tr', null, h('th', null, t('timeline.webhook')), h('td', null, h('span.mono', null, item.webhook.url), ' ', webhookStatus(item.webhook))) : null)),
    h('h2', null, t('approvals.timeline')),
    table([t('col.at'), t('col.event'), t('col.detail')], events.map(function (event) { return h('tr', null, h('td', null, when(event.at)), h('td', null, event.what), h('td', null, event.detail)); })),
    item.moreDecisions ? h('p.muted', null, t('approvals.moreDecisions').replace('{n}', item.moreDecisions)) : null,
    h('p.row', null, cancel, h('button', { type: 'button', onclick: function () { renderApproval(item.id); } }, t('refresh'))));
}

// ---- notifications ----
function renderNotifications() {
  var body = h('tbody');
  var error = h('p.error', { role: 'alert' });
  var list = table([t('col.created'), t('col.title'), t('col.status'), t('col.deliveries')], []);
  list.replaceChild(body, list.querySelector('tbody'));
  shell('notifications', h('section.card', null, h('h1', null, t('nav.notifications')), list, error));
  pageThrough('/v1/notifications?limit=50&order=newest', function (item) {
    var counts = {};
    item.deliveries.forEach(function (delivery) { counts[delivery.status] = (counts[delivery.status] || 0) + 1; });
    return h('tr.link', { 'data-id': item.id, onclick: function () { location.hash = '#/notifications/' + encodeURIComponent(item.id); } },
      h('td', null, when(item.createdAt)), h('td', null, item.message.title || item.message.text || ''), h('td', null, notificationStatus(item.status)),
      h('td', null, Object.keys(counts).map(function (key) { return t('status.' + key) + ' ' + counts[key]; }).join(' · ')));
  }, body, error);
}
function renderNotification(id) {
  var error = h('p.error', { role: 'alert' });
  var top = h('section.card', null, h('h1', null, t('loading')));
  shell('notifications', [top, error]);
  api('GET', '/v1/notifications/' + encodeURIComponent(id)).then(function (item) {
    fill(top,
      h('h1', null, item.message.title || t('nav.notifications'), ' ', notificationStatus(item.status)),
      h('p', null, item.message.text || ''),
      h('p.muted.mono', null, item.id + ' · ' + item.integrationId + ' · ' + when(item.createdAt)),
      h('h2', null, t('col.deliveries')),
      table([t('col.target'), t('col.status'), t('col.attempts'), t('col.detail')], item.deliveries.map(function (delivery) {
        return h('tr', { 'data-target': delivery.target }, h('td.mono', null, delivery.target), h('td', null, status(delivery.status)), h('td', null, delivery.attempts),
          h('td', null, delivery.error ? t('platformCode') + ' ' + delivery.error.code + ': ' + delivery.error.message : (delivery.messageId ? h('span.mono', null, delivery.messageId) : ''), delivery.truncated ? ' · ' + t('truncated') : ''));
      })));
  }).catch(function (failure) { showError(error, failure); });
}

// ---- API keys ----
var scopes = ['read', 'approvals:write', 'notifications:send', 'integrations:write', 'admin'];
function renderApiKeys() {
  var body = h('tbody');
  var error = h('p.error', { role: 'alert' });
  var shown = h('div');
  var list = table([t('col.name'), t('col.scopes'), t('col.created'), t('col.expires'), t('col.status'), ''], []);
  list.replaceChild(body, list.querySelector('tbody'));
  var form = h('form', { onsubmit: function (event) {
    event.preventDefault();
    var data = new FormData(form);
    var chosen = scopes.filter(function (scope) { return data.get('scope:' + scope); });
    var request = { name: String(data.get('name') || '').trim(), scopes: chosen };
    var expires = String(data.get('expiresAt') || '');
    if (expires) request.expiresAt = new Date(expires + 'T00:00:00Z').toISOString();
    api('POST', '/v1/api-keys', request).then(function (created) {
      // Shown once: the API never returns the key again.
      fill(shown, h('div.keybox', { role: 'status' }, h('strong', null, t('keys.once')), h('div', null, copyable(created.key))));
      form.reset();
      renderKeyRows(body, error);
    }, function (failure) { showError(error, failure); });
  } },
    h('label', null, t('col.name'), h('input', { name: 'name', required: true, maxlength: 100 })),
    h('label', null, t('col.scopes')),
    h('div.row', null, scopes.map(function (scope) { return h('label', null, h('input', { type: 'checkbox', name: 'scope:' + scope, checked: scope === 'read' }), ' ', scope, ' ', h('small', null, t('scope.' + scope))); })),
    h('label', null, t('col.expires'), ' ', h('small', null, t('optional')), h('input', { type: 'date', name: 'expiresAt' })),
    h('p', null, h('button.primary', { type: 'submit' }, t('keys.create'))));
  shell('api-keys', [h('section.card', null, h('h1', null, t('nav.apiKeys')), list, error), h('section.card', null, h('h2', null, t('keys.create')), form, shown)]);
  renderKeyRows(body, error);
}
function renderKeyRows(body, error) {
  fill(body);
  pageThrough('/v1/api-keys?limit=100', function (item) {
    return h('tr', { 'data-id': item.id }, h('td', null, item.name), h('td.mono', null, item.scopes.join(', ')), h('td', null, when(item.createdAt)), h('td', null, when(item.expiresAt)),
      h('td', null, item.revokedAt ? status('revoked') : status('active')),
      h('td', null, item.revokedAt ? '' : h('button.danger', { type: 'button', onclick: function () {
        if (!confirm(t('keys.confirmRevoke'))) return;
        api('DELETE', '/v1/api-keys/' + encodeURIComponent(item.id)).then(function () { renderKeyRows(body, error); }, function (failure) { showError(error, failure); });
      } }, t('keys.revoke'))));
  }, body, error);
}

function renderNotFound() {
  shell('', h('section.card', null, h('h1', null, t('notFound'))));
}

// ---- routing ----
function render() {
  clearTimeout(pollTimer);
  var hash = location.hash.replace(/^#\/?/, '');
  if (!apiKey()) return renderSignIn();
  var query = '';
  var at = hash.indexOf('?');
  if (at >= 0) { query = hash.slice(at + 1); hash = hash.slice(0, at); }
  var parts = hash.split('/').map(function (part) { try { return decodeURIComponent(part); } catch (e) { return part; } });
  if (!parts[0] || parts[0] === 'signin' || parts[0] === 'integrations') {
    if (parts[1] === 'new') return renderNewIntegration(parts[2]);
    if (parts[1]) return renderIntegration(parts[1]);
    return renderIntegrations();
  }
  if (parts[0] === 'approvals') return parts[1] ? renderApproval(parts[1]) : renderApprovals(query);
  if (parts[0] === 'notifications') return parts[1] ? renderNotification(parts[1]) : renderNotifications();
  if (parts[0] === 'api-keys') return renderApiKeys();
  renderNotFound();
}
window.addEventListener('hashchange', render);
render();
`;

export const consoleScript = script
  .replace('__TEXTS__', () => JSON.stringify(consoleTexts))
  .replace('__GUIDES__', () => JSON.stringify(platformGuides))
  .replace('__QUOTA_PREFIX__', () => JSON.stringify(quotaDetailPrefix))
  .replace('__QUOTA_SKIPPED__', () => JSON.stringify(quotaSkippedDetail));
