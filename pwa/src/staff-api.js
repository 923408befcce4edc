// The staff screens' endpoints, one function per endpoint, added to the app's api object
// when the staff bundle loads (the liaison's first load never carries them). Like api.js,
// each resolves to {ok, status, data | error}; files come back as a Blob.

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
  };
}

/** Adds the staff endpoints to ``api`` (the object the session calls through). */
export function installStaffApi(api) {
  if (!api.reviewQueue) Object.assign(api, staffEndpoints(api.request));
  return api;
}
