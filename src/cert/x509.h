/* X.509 certificate reading: the facts graphcerts derives from an uploaded certificate (subject,
 * issuer, validity, thumbprint, serial). This module is the only place that touches OpenSSL's
 * X509 types; callers see plain strings and ticks. Bytes that are not a certificate are not an
 * error here: callers then keep them as opaque content. */
#ifndef GC_CERT_X509_H
#define GC_CERT_X509_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* Inputs longer than this are never parsed (answered as "not a certificate"). */
#define GC_CERT_MAX_INPUT ((size_t)1 << 20)

/* What a certificate says, as Windows / .NET show it. Every string lives in the arena given to
 * gc_cert_x509_parse, is NUL-terminated, valid UTF-8 and free of embedded NULs (so it can be
 * put in JSON as is).
 *
 * subject / issuer: the distinguished name, most specific RDN first (the reverse of the
 *   encoding order, as OpenSSL's XN_FLAG_DN_REV / RFC 2253 and Windows' CertNameToStr with
 *   CERT_NAME_STR_REVERSE_FLAG), RDNs separated by ", " and the attributes of a multi-valued
 *   RDN by " + " (kept in encoding order). Each attribute is KEY=value with Windows' X.500
 *   keys: CN, L, O, OU, E (emailAddress), C, S (stateOrProvinceName), STREET, T (title),
 *   G (givenName), I (initials), SN (surname), DC, SERIALNUMBER, PostalCode, Description,
 *   POBox, Phone; any other attribute is OID.<dotted oid>. Values are their UTF-8 text; a value
 *   that is empty, starts or ends with a space, or contains any of , + = " < > # ; or a line
 *   break is wrapped in double quotes with inner quotes doubled (Windows' quoting, not
 *   RFC 2253's backslashes). A value that is not text (or not valid UTF-8, or holds a NUL)
 *   is written as '#' and the upper-case hex of its bytes.
 *   Example: "CN=Contoso Code Signing, O=Contoso Ltd, C=US".
 * subject_name / issuer_name: the value of the name's CN, unquoted (the most specific one,
 *   i.e. the last in encoding order, when there are several); the whole DN string above when
 *   the name has no CN.
 * not_before / not_after: the validity bounds as ticks (100 ns since 0001-01-01T00:00:00Z).
 * thumbprint: SHA-1 of the certificate's DER bytes as given, 40 lower-case hex digits.
 * serial: the serial number's INTEGER content octets as encoded (two's complement, so a leading
 *   00 when the top bit is set), upper-case hex, as .NET's X509Certificate.SerialNumber. */
typedef struct gc_cert_info {
    const char *subject, *subject_name;
    const char *issuer, *issuer_name;
    int64_t not_before, not_after;
    const char *thumbprint;
    const char *serial;
} gc_cert_info;

/* Reads one certificate from data: either DER (exactly one certificate, no trailing bytes) or
 * PEM text whose first PEM block is "-----BEGIN CERTIFICATE-----" (text before it is skipped,
 * blocks after it are ignored; a first block with another label, or with encryption headers,
 * is refused). Returns 0 and fills *out, or -1 when data is not such a certificate (including
 * empty input, input over GC_CERT_MAX_INPUT, and validity dates outside years 1..9999).
 * Never leaves entries on the calling thread's OpenSSL error queue. Thread-safe. */
int gc_cert_x509_parse(const unsigned char *data, size_t len, gc_arena *a, gc_cert_info *out);

#endif
