/* X.509 certificate reading: the facts graphcerts derives from an uploaded certificate (subject,
 * issuer, validity, thumbprint, serial). This module is the only place that touches OpenSSL's
 * X509 types; callers see plain strings and ticks. Bytes that are not a certificate are not an
 * error here: callers then keep them as opaque content. */
#ifndef GC_CERT_X509_H
#define GC_CERT_X509_H

#include <stdbool.h>
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
    /* The extended key usage extension: has_eku is false when the certificate has none (every
     * use allowed). eku lists its purposes, ", "-separated, each as OpenSSL's short name
     * ("codeSigning", "serverAuth") or the dotted OID; eku_code_signing is true when the list
     * holds codeSigning (1.3.6.1.5.5.7.3.3) or anyExtendedKeyUsage (2.5.29.37.0). */
    bool has_eku, eku_code_signing;
    const char *eku;
} gc_cert_info;

/* gc_cert_x509_read without the reason: 0 for GC_CERT_OK, -1 otherwise. Reads one certificate
 * from data: either DER (exactly one certificate, no trailing bytes) or
 * PEM text whose first PEM block is "-----BEGIN CERTIFICATE-----" (text before it is skipped,
 * blocks after it are ignored; a first block with another label, or with encryption headers,
 * is refused). Returns 0 and fills *out, or -1 when data is not such a certificate (including
 * empty input, input over GC_CERT_MAX_INPUT, and validity dates outside years 1..9999).
 * Never leaves entries on the calling thread's OpenSSL error queue. Thread-safe. */
int gc_cert_x509_parse(const unsigned char *data, size_t len, gc_arena *a, gc_cert_info *out);

/* What gc_cert_x509_read makes of some bytes. */
typedef enum gc_cert_verdict {
    GC_CERT_BROKEN = -1,  /* looks like a certificate but does not parse: why says how */
    GC_CERT_OK = 0,       /* a certificate: *out is filled */
    GC_CERT_NOT_CERT = 1, /* does not look like a certificate: opaque bytes */
} gc_cert_verdict;

/* Like gc_cert_x509_parse, but tells bytes that merely are not a certificate from bytes that
 * look like one and are broken. Data looks like a certificate when it holds PEM armour
 * ("-----BEGIN ") or starts with a DER SEQUENCE header (0x30, then a long-form length, or a
 * short-form length equal to the rest of the data: text starting with '0' does not count).
 * For GC_CERT_BROKEN, why (why_len bytes, at least 1) receives a one-line reason without a
 * trailing period, naming OpenSSL's parse error, e.g. "DER: header too long"; it never
 * quotes the data. Inputs over GC_CERT_MAX_INPUT that look like a certificate are broken. */
gc_cert_verdict gc_cert_x509_read(const unsigned char *data, size_t len, gc_arena *a,
                                  gc_cert_info *out, char *why, size_t why_len);

#endif
