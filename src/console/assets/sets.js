// The certificate sets the console shows, with the columns, search properties and expiry
// property of each. Which of them a token may read is found by asking the server (app.js).

export const SETS = [
  {
    key: 'userPfx', title: 'User PFX certificates', short: 'User PFX',
    path: '/beta/deviceManagement/userPfxCertificates',
    columns: [['userPrincipalName', 'User'], ['thumbprint', 'Thumbprint'],
              ['intendedPurpose', 'Purpose'], ['expirationDateTime', 'Expires']],
    search: ['userPrincipalName', 'thumbprint', 'providerName', 'keyName'],
    expiry: 'expirationDateTime', label: 'userPrincipalName',
  },
  {
    key: 'device', title: 'Device certificates', short: 'Device',
    path: '/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates',
    columns: [['managedDeviceDisplayName', 'Device'], ['userPrincipalName', 'User'],
              ['certificateThumbprint', 'Thumbprint'], ['certificateExpirationDateTime', 'Expires'],
              ['certificateRevokeStatus', 'Revocation']],
    search: ['managedDeviceDisplayName', 'userPrincipalName', 'certificateThumbprint',
             'certificateIssuerName', 'certificateSubjectName'],
    expiry: 'certificateExpirationDateTime', label: 'managedDeviceDisplayName', revocable: true,
  },
  {
    key: 'codeSigning', title: 'Code-signing certificates', short: 'Code signing',
    path: '/beta/deviceAppManagement/enterpriseCodeSigningCertificates',
    columns: [['subjectName', 'Subject'], ['issuerName', 'Issuer'], ['status', 'Status'],
              ['expirationDateTime', 'Expires'], ['uploadDateTime', 'Uploaded']],
    search: ['subjectName', 'issuerName', 'subject', 'issuer'],
    expiry: 'expirationDateTime', label: 'subjectName', upload: true,
  },
  {
    key: 'pfxUser', title: 'PFX user certificates (older form)', short: 'PFX (older)',
    path: '/beta/pfxUserCertificates',
    columns: [['userUpn', 'User'], ['thumbprint', 'Thumbprint'], ['status', 'Status'],
              ['certExpirationDate', 'Expires']],
    search: ['userUpn', 'thumbprint', 'providerName'],
    expiry: 'certExpirationDate', label: 'userUpn',
  },
];

// The device certificates report (managedAllDeviceCertificateState).
export const REPORT_COLUMNS = [
  ['managedDeviceDisplayName', 'Device'], ['userPrincipalName', 'User'],
  ['certificateThumbprint', 'Thumbprint'], ['certificateIssuerName', 'Issuer'],
  ['certificateExpirationDateTime', 'Expires'], ['certificateRevokeStatus', 'Revoke status'],
];
export const REVOKE_STATUSES = ['none', 'pending', 'issued', 'failed', 'revoked'];

export const byKey = (k) => SETS.find((s) => s.key === k);

// An OData string literal.
export const lit = (v) => "'" + String(v).replace(/'/g, "''") + "'";

// $filter for a search box: any search property contains the text, case-insensitively.
export function searchFilter(set, text) {
  const t = text.trim();
  if (!t) return '';
  const l = lit(t.toLowerCase());
  return set.search.map((p) => 'contains(tolower(' + p + '),' + l + ')').join(' or ');
}

export function and(...parts) {
  const p = parts.filter(Boolean);
  return p.length <= 1 ? (p[0] || '') : p.map((x) => '(' + x + ')').join(' and ');
}

export const isoDate = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// Certificates of set expiring in [from, to).
export const expiryFilter = (set, from, to) =>
  set.expiry + ' ge ' + isoDate(from) + ' and ' + set.expiry + ' lt ' + isoDate(to);
