// The dashboard of one month: completion (应访/已访/完成率) by township → village → the
// people not visited; overdue tasks, open mediation cases, sick and hardship visits,
// stale phones and conflicts waiting. The chart module is loaded only here.
import { h } from '../dom.js';
import { label, t } from '../i18n.js';
import { maskIdNumber } from '../validate.js';
import { call, hashOf, heading, input, notice, percent, table, thisMonth } from './staff-common.js';

function tile(key, value, testid, { tone = '', href } = {}) {
  const body = [h('b', { 'data-testid': `${testid}-value` }, value), h('span', null, t(key))];
  return href
    ? h('a', { class: `tile ${tone}`, href, 'data-testid': testid }, body)
    : h('div', { class: `tile ${tone}`, 'data-testid': testid }, body);
}

export async function render(app, query) {
  const month = query.month || thisMonth();
  const place = { township_id: query.township_id || '', village_id: query.village_id || '' };
  const [res, chart] = await Promise.all([
    call(app, 'dashboard', { month, ...place }),
    import('./staff-chart.js'),
  ]);
  const go = (changes) => { location.hash = hashOf('/dashboard', { month, ...place, ...changes }); };
  const picker = h('div', { class: 'staff-filters' },
    input('dash-month', 'staff.month', { type: 'month', value: month, onchange: (e) => go({ month: e.target.value }) }));
  if (!res.ok) return h('div', { class: 'staff-screen', 'data-testid': 'dashboard-page' }, heading('staff.dash.title'), picker, notice(res));
  const d = res.data;

  // The top is the user's own area: 全县 for county staff, their township for an officer.
  const top = d.scope?.level === 'township' ? d.scope.name : t('staff.dash.county');
  // red only for what is late: after the visit day, where someone's monthly visit is overdue
  const late = d.visit_day_passed !== false;
  const lateIn = (counts) => late && counts.overdue_monthly > 0;
  const crumbs = h('nav', { class: 'crumbs', 'data-testid': 'dash-crumbs' },
    h('a', { href: hashOf('/dashboard', { month }), 'data-testid': 'dash-top' }, top),
    d.township && d.township.id !== d.scope?.id ? [' › ', h('a', { href: hashOf('/dashboard', { month, township_id: d.township.id }) }, d.township.name)] : null,
    d.village ? [' › ', h('span', null, d.village.name)] : null);
  const totals = d.totals;
  const tiles = h('div', { class: 'tiles', 'data-testid': 'dash-tiles' },
    tile('staff.dash.due', totals.due, 'dash-due'),
    tile('staff.dash.done', totals.done, 'dash-done'),
    tile('staff.dash.rate', percent(totals.rate), 'dash-rate', { tone: chart.rateTone(totals.rate, { late: lateIn(totals) }) }),
    tile('staff.dash.overdue_monthly', totals.overdue_monthly, 'dash-overdue', { tone: totals.overdue_monthly ? 'bad' : '' }),
    tile('staff.dash.overdue_follow_ups', totals.overdue_follow_ups, 'dash-follow-ups', { tone: totals.overdue_follow_ups ? 'warn' : '' }),
    tile('staff.dash.open_cases', totals.open_cases, 'dash-cases'),
    tile('staff.dash.conflicts', d.conflicts, 'dash-conflicts', { tone: d.conflicts ? 'warn' : '', href: '#/conflicts' }),
    tile('staff.dash.stale_devices', d.stale_devices, 'dash-devices', { tone: d.stale_devices ? 'warn' : '', href: '#/devices' }));

  const drill = (row) => {
    if (d.level === 'county') return hashOf('/dashboard', { month, township_id: row.id });
    if (d.level === 'township') return hashOf('/dashboard', { month, village_id: row.id });
    return null;
  };
  const rowsTable = table('dash-rows', [
    [d.level === 'county' ? 'staff.township' : 'staff.village', (r) => (drill(r) ? h('a', { href: drill(r), 'data-testid': 'dash-drill' }, r.name) : r.name)],
    ['staff.dash.due', (r) => r.due, 'num'], ['staff.dash.done', (r) => r.done, 'num'],
    ['staff.dash.rate', (r) => percent(r.rate), 'num'],
    ['staff.dash.overdue_monthly', (r) => r.overdue_monthly, 'num'],
    ['staff.dash.overdue_follow_ups', (r) => r.overdue_follow_ups, 'num'],
    ['staff.dash.open_cases', (r) => r.open_cases, 'num'],
    ['staff.dash.sick', (r) => r.sick, 'num'], ['staff.dash.hardship', (r) => r.hardship, 'num'],
  ], d.rows, (r) => ({ 'data-testid': 'dash-row', 'data-id': r.id, 'data-name': r.name }));
  const rateChart = chart.barChart(d.rows.map((r) => ({ label: r.name, value: r.rate, text: `${percent(r.rate)}（${r.done}/${r.due}）`, tone: chart.rateTone(r.rate, { late: lateIn(r) }) })),
    { max: 1, title: t('staff.dash.chart_rate'), testid: 'rate-chart' });

  const ages = d.mediation.by_age;
  const caseChart = chart.barChart(chart.byAge(ages).map(([bucket, n]) => ({ label: t(`staff.dash.age.${bucket}`), value: n })),
    { max: Math.max(1, ...Object.values(ages)), title: t('staff.dash.cases_by_age'), testid: 'case-chart', labelWidth: 90 });
  const tasks = Object.entries(d.tasks).map(([kind, counts]) => h('li', { 'data-testid': 'dash-task', 'data-kind': kind },
    t('staff.dash.task_line', { kind: label('task_kinds', kind), due: counts.due, done: counts.done, overdue: counts.overdue })));

  // 政策宣传 (on visits and at meetings), 便民服务 and the opinions liaisons collect, by row
  const outreachTable = table('dash-outreach', [
    [d.level === 'county' ? 'staff.township' : 'staff.village', (r) => r.name],
    ['staff.dash.policy_visits', (r) => r.policy_visits ?? 0, 'num'],
    ['staff.dash.policies_explained', (r) => r.policies_explained ?? 0, 'num'],
    ['staff.dash.meetings', (r) => r.meetings ?? 0, 'num'],
    ['staff.dash.meeting_headcount', (r) => r.meeting_headcount ?? 0, 'num'],
    ['staff.dash.services', (r) => r.services ?? 0, 'num'],
    ['staff.dash.opinions', (r) => r.opinions ?? 0, 'num'],
  ], [...d.rows, { ...totals, name: t('staff.total'), id: 'total' }],
  (r) => ({ 'data-testid': 'dash-outreach-row', 'data-id': r.id }), { label: t('staff.dash.outreach') });
  const services = (d.services || []).filter((s) => s.count);
  const serviceList = services.length
    ? h('ul', { class: 'plain', 'data-testid': 'dash-services' }, services.map((s) => h('li', { 'data-testid': 'dash-service', 'data-code': s.code },
      t('staff.dash.service_line', { label: s.label, count: s.count }))))
    : h('p', { class: 'empty' }, t('staff.dash.no_services'));
  const feedback = (d.feedback_by_source || []).length
    ? table('dash-feedback', [
      ['staff.dash.feedback_source', (f) => f.label],
      ['staff.dash.feedback_received', (f) => f.received, 'num'],
      ['staff.dash.feedback_replied', (f) => f.replied, 'num'],
      ['staff.dash.feedback_rate', (f) => percent(f.reply_rate), 'num'],
      ['staff.dash.feedback_hours', (f) => (f.mean_hours_to_reply == null ? '—' : t('staff.dash.hours', { hours: Math.round(f.mean_hours_to_reply) })), 'num'],
      ['staff.dash.feedback_overdue', (f) => f.overdue, 'num'],
    ], d.feedback_by_source, (f) => ({ 'data-testid': 'dash-feedback-row', 'data-source': f.source }), { label: t('staff.dash.feedback') })
    : null;

  const care = d.care_visits.length
    ? table('dash-care', [
      ['staff.col.date', (v) => v.visited_on], ['staff.col.type', (v) => label('visit_types', v.visit_type)],
      ['staff.col.person', (v) => h('a', { href: `#/review/${v.id}` }, v.beneficiary_name)],
      ['staff.col.village', (v) => v.village_name], ['staff.col.summary', (v) => v.summary, 'wide'],
      ['visit.needs', (v) => v.needs || ''], ['staff.col.status', (v) => label('review_status', v.review_status)],
    ], d.care_visits, () => ({ 'data-testid': 'dash-care-row' }))
    : h('p', { class: 'empty' }, t('staff.dash.no_care'));

  const notVisited = d.not_visited
    ? h('section', { class: 'card', 'data-testid': 'dash-not-visited' }, h('h2', null, t('staff.dash.not_visited', { count: d.not_visited.length })),
      d.not_visited.length
        ? h('a', { class: 'btn small', 'data-testid': 'not-visited-export', href: hashOf('/exports', { kind: 'not_visited', month, village_id: d.village?.id }) },
          t('staff.dash.not_visited_export'))
        : null,
      d.not_visited.length
        ? table('not-visited', [
          ['staff.col.person', (p) => p.name], ['person.id_number', (p) => (p.id_number ? maskIdNumber(p.id_number) : '')], ['person.phone', (p) => p.phone || ''],
          ['person.address', (p) => p.address || ''], ['person.category', (p) => label('beneficiary_categories', p.category)],
          ['staff.dash.task', (p) => (p.task_status ? label('task_status', p.task_status) : '')],
          ['staff.dash.overdue_days', (p) => String(p.overdue_days ?? 0), 'num'],
        ], d.not_visited, (p) => ({ 'data-testid': 'not-visited-row', 'data-id': p.id }))
        : h('p', { class: 'empty' }, t('staff.dash.all_visited')))
    : null;

  return h('div', { class: 'staff-screen', 'data-testid': 'dashboard-page', 'data-level': d.level },
    heading('staff.dash.title'), picker, crumbs,
    late ? null : h('p', { class: 'muted', 'data-testid': 'dash-before-visit-day' }, t('staff.dash.before_visit_day', { day: d.visit_day })),
    d.basis === 'people' ? h('p', { class: 'notice', 'data-testid': 'dash-basis' }, t('staff.dash.basis_people')) : null,
    tiles,
    h('section', { class: 'card' }, h('h2', null, t('staff.dash.chart_rate')), rateChart),
    h('section', { class: 'card' }, h('h2', null, t(d.level === 'county' ? 'staff.dash.by_township' : 'staff.dash.by_village')), rowsTable),
    notVisited,
    h('div', { class: 'staff-columns' },
      h('section', { class: 'card' }, h('h2', null, t('staff.dash.cases')),
        h('p', { 'data-testid': 'dash-case-status' }, t('staff.dash.case_status', { open: d.mediation.by_status.open, mediating: d.mediation.by_status.mediating })),
        caseChart),
      h('section', { class: 'card' }, h('h2', null, t('staff.dash.tasks')), tasks.length ? h('ul', { class: 'plain' }, tasks) : h('p', { class: 'empty' }, t('staff.dash.no_tasks')))),
    h('section', { class: 'card' }, h('h2', null, t('staff.dash.care')), care),
    h('section', { class: 'card', 'data-testid': 'dash-outreach-card' }, h('h2', null, t('staff.dash.outreach')), outreachTable,
      h('h3', null, t('staff.dash.services_by_kind')), serviceList),
    feedback ? h('section', { class: 'card', 'data-testid': 'dash-feedback-card' }, h('h2', null, t('staff.dash.feedback')), feedback) : null);
}
