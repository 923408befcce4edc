// The staff screens' endpoints, one function per endpoint, added to the app's api object
// when the staff bundle loads (the liaison's first load never carries them). Like api.js,
// each resolves to {ok, status, data | error}; files come back as a Blob.

// A county's workbook (up to the server's size cap) on a township's line, or the slips
// of 528 liaisons in one PDF, take longer than the usual 45 s.
const LONG_MS = 10 * 60 * 1000;

export function staffEndpoints(request) {
  return {
    regions: (token) => request('GET', '/regions', { token }),
    reviewQueue: (token, query) => request('GET', '/review/visits', { token, query }),
    reviewDetail: (token, id) => request('GET', `/review/visits/${id}`, { token }),
    reviewVisit: (token, id, body) => request('POST', `/visits/${id}/review`, { token, json: body }),
    approveVillage: (token, body) => request('POST', '/review/approve-village', { token, json: body }),
    attachment: (token, id) => request('GET', `/attachments/${id}`, { token, blob: true }),
    dashboard: (token, query) => request('GET', '/dashboard', { token, query }),
    conflicts: (token, query) => request('GET', '/sync/conflicts', { token, query }),
    resolveConflict: (token, id, choices) => request('POST', `/sync/conflicts/${id}/resolve`, { token, json: { choices } }),
    devices: (token, query) => request('GET', '/sync/devices', { token, query }),
    freshToken: (token, password) => request('POST', '/auth/fresh', { token, json: { password } }),
    createExport: (token, body) => request('POST', '/exports', { token, json: body }),
    exportStatus: (token, id) => request('GET', `/exports/${id}`, { token }),
    exportFile: (token, id) => request('GET', `/exports/${id}/file`, { token, blob: true }),
    monthlyReport: (token, query) => request('GET', '/reports/monthly.pdf', { token, query, blob: true }),
    feedbackExport: (token, query) => request('GET', '/feedback/export.xlsx', { token, query, blob: true }),
    feedbackList: (token, query) => request('GET', '/feedback', { token, query }),
    feedbackDetail: (token, id) => request('GET', `/feedback/${id}`, { token }),
    feedbackAssign: (token, id, body) => request('POST', `/feedback/${id}/assign`, { token, json: body }),
    feedbackReply: (token, id, body) => request('POST', `/feedback/${id}/reply`, { token, json: body }),
    feedbackClose: (token, id) => request('POST', `/feedback/${id}/close`, { token }),
    notifications: (token, query) => request('GET', '/notifications', { token, query }),
    markNotice: (token, id, body) => request('PATCH', `/notifications/${id}`, { token, json: body }),
    users: (token, query) => request('GET', '/users', { token, query }),
    createUser: (token, body) => request('POST', '/users', { token, json: body }),
    updateUser: (token, id, body) => request('PATCH', `/users/${id}`, { token, json: body }),
    audit: (token, query) => request('GET', '/audit', { token, query }),
    auditActions: (token) => request('GET', '/audit/actions', { token }),
    cardPrintPreview: (token, query) => request('GET', '/contact-cards/print-preview', { token, query }),
    printCards: (token, query) => request('POST', '/contact-cards/print.pdf', { token, query, blob: true }),
    // 建档导入 (issue 18): regions, the roster as a background job, liaison accounts and slips
    regionsTemplate: (token) => request('GET', '/regions/template', { token, blob: true }),
    importRegions: (token, upload) => request('POST', '/regions/import', { token, body: uploadForm(upload), timeout: LONG_MS }),
    rosterTemplate: (token) => request('GET', '/roster/template', { token, blob: true }),
    startRosterImport: (token, upload) => request('POST', '/roster/imports', { token, body: uploadForm(upload), timeout: LONG_MS }),
    rosterImports: (token) => request('GET', '/roster/imports', { token }),
    rosterImport: (token, id) => request('GET', `/roster/imports/${id}`, { token }),
    applyRosterImport: (token, id) => request('POST', `/roster/imports/${id}/apply`, { token }),
    rosterReport: (token, id) => request('GET', `/roster/imports/${id}/report`, { token, blob: true, timeout: LONG_MS }),
    bulkLiaisons: (token, body) => request('POST', '/liaisons/bulk', { token, json: body, timeout: LONG_MS }),
    importLiaisons: (token, upload) => request('POST', '/liaisons/bulk', { token, body: uploadForm(upload), timeout: LONG_MS }),
    enrollments: (token, query) => request('GET', '/enrollments', { token, query }),
    printSlips: (token, body) => request('POST', '/enrollments/slips.pdf', { token, json: body, blob: true, timeout: LONG_MS }),
    revokeSlip: (token, id) => request('POST', `/enrollments/${id}/revoke`, { token }),
    // 法规政策 (issue 19): the county's policy library; writes are county staff's
    policies: (token, query) => request('GET', '/policies', { token, query }),
    policy: (token, id) => request('GET', `/policies/${id}`, { token }),
    createPolicy: (token, body) => request('POST', '/policies', { token, json: body }),
    updatePolicy: (token, id, body) => request('PATCH', `/policies/${id}`, { token, json: body }),
    withdrawPolicy: (token, id) => request('POST', `/policies/${id}/withdraw`, { token }),
    putPolicyPdf: (token, id, file) => request('PUT', `/policies/${id}/pdf`, { token, body: fileForm(file), timeout: LONG_MS }),
    deletePolicyPdf: (token, id) => request('DELETE', `/policies/${id}/pdf`, { token }),
    previewPolicy: (token, body) => request('POST', '/policies/preview', { token, json: { body } }),
    policyHistory: (token, id) => request('GET', `/policies/${id}/history`, { token }),
  };
}

/** multipart/form-data of an upload: the file and dry_run=true|false (the browser sets the boundary). */
export function uploadForm({ file, dryRun }) {
  const form = new FormData();
  form.append('file', file, file.name);
  form.append('dry_run', dryRun ? 'true' : 'false');
  return form;
}

/** multipart/form-data holding one file, field ``file``. */
export function fileForm(file) {
  const form = new FormData();
  form.append('file', file, file.name);
  return form;
}

/** Adds the staff endpoints to ``api`` (the object the session calls through). */
export function installStaffApi(api) {
  if (!api.reviewQueue) Object.assign(api, staffEndpoints(api.request));
  return api;
}
