/* Unit tests for src/odata/metadata.c: the CSDL is well-formed XML (parsed by Python's
 * namespace-aware minidom), lists every enum member with its value, every entity type with
 * its key and typed properties, the singletons' containment navigation properties and the
 * entity container — and v1.0 lists only what v1.0 serves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "odata/metadata.h"
#include "schema/schema.h"

static const gc_entity_type *find_type(const char *name)
{
    for (size_t i = 0; i < gc_schema_n_types; i++)
        if (strcmp(gc_schema_types[i]->name, name) == 0)
            return gc_schema_types[i];
    fail_msg("no type %s", name);
    return NULL;
}

/* The text of the element that starts with `open` up to its `close`, NUL-terminated. */
static char *block(gc_arena *a, const char *doc, const char *open, const char *close)
{
    const char *s = strstr(doc, open);
    if (!s)
        fail_msg("missing %s", open);
    assert_null(strstr(s + 1, open)); /* declared once */
    const char *e = strstr(s, close);
    assert_non_null(e);
    return gc_arena_strndup(a, s, (size_t)(e - s) + strlen(close));
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Runs Python's minidom on the document; returns its one-line summary of element counts
 * (namespace-qualified), or fails the test when the XML does not parse. */
static char *python_summary(gc_arena *a, const char *doc, size_t len)
{
    const char *dir = getenv("GC_TEST_TMP");
    if (!dir || !*dir)
        dir = "/tmp";
    mkdir(dir, 0700);
    char path[512];
    snprintf(path, sizeof path, "%s/metadata-XXXXXX", dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, doc, len), (ssize_t)len);
    close(fd);

    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd,
             "python3 -c \""
             "import sys, xml.dom.minidom as m\n"
             "d = m.parse(sys.argv[1]).documentElement\n"
             "X = 'http://docs.oasis-open.org/odata/ns/edmx'\n"
             "E = 'http://docs.oasis-open.org/odata/ns/edm'\n"
             "assert d.namespaceURI == X and d.localName == 'Edmx', d.tagName\n"
             "assert d.getAttribute('Version') == '4.0'\n"
             "s = d.getElementsByTagNameNS(E, 'Schema')\n"
             "assert len(s) == 1 and s[0].getAttribute('Namespace') == 'microsoft.graph'\n"
             "assert s[0].parentNode.namespaceURI == X\n"
             "c = lambda n: len(d.getElementsByTagNameNS(E, n))\n"
             "print(' '.join('%%s=%%d' %% (n, c(n)) for n in ['EnumType', 'Member', "
             "'ComplexType', 'EntityType', 'Key', 'PropertyRef', 'Property', 'NavigationProperty', "
             "'EntityContainer', 'Singleton', 'EntitySet']))\n"
             "\" '%s' 2>&1",
             path);
    assert_true(n > 0 && (size_t)n < sizeof cmd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512] = "";
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    int status = pclose(p);
    unlink(path);
    if (status != 0)
        fail_msg("minidom rejected the document: %s", line);
    line[strcspn(line, "\n")] = '\0';
    return gc_arena_strdup(a, line);
}

static void test_beta_parses_and_has_the_expected_shape(void **state)
{
    gc_arena *a = gc_arena_new();
    size_t len = 0;
    char *doc = gc_odata_metadata_xml(a, GC_V_BETA, &len);
    assert_non_null(doc);
    assert_int_equal(len, strlen(doc));
    assert_true(strncmp(doc, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n", 39) == 0);

    size_t props = 2; /* the two singletons' ids */
    for (size_t i = 0; i < gc_schema_n_types; i++)
        props += gc_schema_types[i]->n_props;
    for (size_t i = 0; i < gc_schema_n_complex; i++)
        props += gc_schema_complex[i]->n_props;
    char *want = gc_arena_printf(a,
                                 "EnumType=4 Member=18 ComplexType=3 EntityType=7 Key=7 "
                                 "PropertyRef=7 Property=%zu NavigationProperty=4 "
                                 "EntityContainer=1 Singleton=2 EntitySet=1",
                                 props);
    assert_string_equal(python_summary(a, doc, len), want);
    gc_arena_free(a);
}

static void test_beta_lists_every_type_and_property(void **state)
{
    gc_arena *a = gc_arena_new();
    char *doc = gc_odata_metadata_xml(a, GC_V_BETA, NULL);
    assert_non_null(doc);
    static const char *const names[] = {"userPFXCertificate", "managedAllDeviceCertificateState",
                                        "enterpriseCodeSigningCertificate", "pfxUserCertificate"};
    for (size_t i = 0; i < 4; i++) {
        const gc_entity_type *t = find_type(names[i]);
        char *b = block(a, doc, gc_arena_printf(a, "<EntityType Name=\"%s\">", t->name),
                        "</EntityType>");
        assert_non_null(strstr(b, "<Key>\n          <PropertyRef Name=\"id\" />\n        </Key>"));
        assert_int_equal(count_of(b, "<Property "), t->n_props);
        for (size_t j = 0; j < t->n_props; j++) {
            const gc_prop *p = &t->props[j];
            const char *needle = gc_arena_printf(a, "<Property Name=\"%s\" Type=\"", p->name);
            const char *at = strstr(b, needle);
            if (!at)
                fail_msg("%s.%s missing", t->name, p->name);
            const char *eol = strchr(at, '\n');
            bool non_null = strstr(at, "Nullable=\"false\"") != NULL &&
                            strstr(at, "Nullable=\"false\"") < eol;
            assert_int_equal(non_null, !(p->flags & GC_P_NULLABLE));
        }
    }
    /* Each EDM type spelled as CSDL spells it, and nullability from the tables. */
    static const char *const lines[] = {
        "<Property Name=\"id\" Type=\"Edm.String\" Nullable=\"false\" />",
        "<Property Name=\"thumbprint\" Type=\"Edm.String\" />",
        "<Property Name=\"intendedPurpose\" Type=\"microsoft.graph.userPfxIntendedPurpose\" "
        "Nullable=\"false\" />",
        "<Property Name=\"paddingScheme\" Type=\"microsoft.graph.userPfxPaddingScheme\" "
        "Nullable=\"false\" />",
        "<Property Name=\"encryptedPfxBlob\" Type=\"Edm.Binary\" />",
        "<Property Name=\"createdDateTime\" Type=\"Edm.DateTimeOffset\" Nullable=\"false\" />",
        "<Property Name=\"certificateRevokeStatus\" "
        "Type=\"microsoft.graph.certificateRevocationStatus\" Nullable=\"false\" />",
        "<Property Name=\"certificateKeyUsages\" Type=\"Edm.Int32\" />",
        "<Property Name=\"status\" Type=\"microsoft.graph.certificateStatus\" Nullable=\"false\" />",
        "<Property Name=\"content\" Type=\"Edm.Binary\" />",
        "<Property Name=\"tenantId\" Type=\"Edm.Guid\" Nullable=\"false\" />",
        "<Property Name=\"isDeleted\" Type=\"Edm.Boolean\" Nullable=\"false\" />",
        "<Property Name=\"encryptedPfxBlob\" Type=\"Edm.String\" />",
        "<Property Name=\"eTag\" Type=\"Edm.String\" />",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!strstr(doc, lines[i]))
            fail_msg("missing: %s", lines[i]);
    gc_arena_free(a);
}

static void test_beta_lists_every_enum_member_with_its_value(void **state)
{
    gc_arena *a = gc_arena_new();
    char *doc = gc_odata_metadata_xml(a, GC_V_BETA, NULL);
    for (size_t i = 0; i < gc_schema_n_enums; i++) {
        const gc_enum_type *e = gc_schema_enums[i];
        char *b = block(a, doc, gc_arena_printf(a, "<EnumType Name=\"%s\"", e->name),
                        "</EnumType>");
        assert_int_equal(count_of(b, "<Member "), e->n_members);
        for (size_t j = 0; j < e->n_members; j++) {
            const char *m = gc_arena_printf(a, "<Member Name=\"%s\" Value=\"%d\" />",
                                            e->members[j].name, e->members[j].value);
            if (!strstr(b, m))
                fail_msg("%s: missing %s", e->name, m);
        }
    }
    /* Values as the contract fixes them (not positions). */
    assert_non_null(strstr(doc, "<Member Name=\"wifi\" Value=\"8\" />"));
    assert_non_null(strstr(doc, "<Member Name=\"vpn\" Value=\"4\" />"));
    assert_non_null(strstr(doc, "<Member Name=\"oaepSha512\" Value=\"5\" />"));
    assert_non_null(strstr(doc, "<Member Name=\"revoked\" Value=\"4\" />"));
    assert_non_null(strstr(doc, "<Member Name=\"provisioned\" Value=\"1\" />"));
    /* Enums come before the entity types that use them. */
    assert_true(strstr(doc, "<EnumType ") < strstr(doc, "<EntityType "));
    gc_arena_free(a);
}

static void test_beta_singletons_and_container(void **state)
{
    gc_arena *a = gc_arena_new();
    char *doc = gc_odata_metadata_xml(a, GC_V_BETA, NULL);
    char *dm = block(a, doc, "<EntityType Name=\"deviceManagement\">", "</EntityType>");
    assert_string_equal(
        dm, "<EntityType Name=\"deviceManagement\">\n"
            "        <Key>\n"
            "          <PropertyRef Name=\"id\" />\n"
            "        </Key>\n"
            "        <Property Name=\"id\" Type=\"Edm.String\" Nullable=\"false\" />\n"
            "        <NavigationProperty Name=\"userPfxCertificates\" "
            "Type=\"Collection(microsoft.graph.userPFXCertificate)\" ContainsTarget=\"true\" />\n"
            "        <NavigationProperty Name=\"deviceConfigurationsAllManagedDeviceCertificateStates\" "
            "Type=\"Collection(microsoft.graph.managedAllDeviceCertificateState)\" "
            "ContainsTarget=\"true\" />\n"
            "        <NavigationProperty Name=\"auditEvents\" "
            "Type=\"Collection(microsoft.graph.auditEvent)\" ContainsTarget=\"true\" />\n"
            "      </EntityType>");
    char *dam = block(a, doc, "<EntityType Name=\"deviceAppManagement\">", "</EntityType>");
    assert_int_equal(count_of(dam, "<NavigationProperty "), 1);
    assert_non_null(strstr(dam, "<NavigationProperty Name=\"enterpriseCodeSigningCertificates\" "
                                "Type=\"Collection(microsoft.graph.enterpriseCodeSigningCertificate)\" "
                                "ContainsTarget=\"true\" />"));
    char *c = block(a, doc, "<EntityContainer Name=\"GraphService\">", "</EntityContainer>");
    assert_string_equal(
        c, "<EntityContainer Name=\"GraphService\">\n"
           "        <Singleton Name=\"deviceManagement\" Type=\"microsoft.graph.deviceManagement\" />\n"
           "        <Singleton Name=\"deviceAppManagement\" "
           "Type=\"microsoft.graph.deviceAppManagement\" />\n"
           "        <EntitySet Name=\"pfxUserCertificates\" "
           "EntityType=\"microsoft.graph.pfxUserCertificate\" />\n"
           "      </EntityContainer>");
    /* The container is the last thing in the schema. */
    assert_non_null(strstr(doc, "</EntityContainer>\n    </Schema>\n  </edmx:DataServices>\n"
                                "</edmx:Edmx>\n"));
    gc_arena_free(a);
}

static void test_v1_lists_only_what_v1_serves(void **state)
{
    gc_arena *a = gc_arena_new();
    size_t len = 0;
    char *doc = gc_odata_metadata_xml(a, GC_V_V1, &len);
    assert_non_null(doc);
    assert_int_equal(len, strlen(doc));
    const gc_entity_type *cs = find_type("enterpriseCodeSigningCertificate");
    char *want = gc_arena_printf(a,
                                 "EnumType=1 Member=2 ComplexType=0 EntityType=2 Key=2 PropertyRef=2 "
                                 "Property=%zu NavigationProperty=1 EntityContainer=1 "
                                 "Singleton=1 EntitySet=0",
                                 cs->n_props + 1);
    assert_string_equal(python_summary(a, doc, len), want);

    assert_non_null(strstr(doc, "<EntityType Name=\"enterpriseCodeSigningCertificate\">"));
    assert_non_null(strstr(doc, "<EnumType Name=\"certificateStatus\">"));
    assert_non_null(strstr(doc, "<Singleton Name=\"deviceAppManagement\" "
                                "Type=\"microsoft.graph.deviceAppManagement\" />"));
    static const char *const absent[] = {
        "userPFXCertificate", "managedAllDeviceCertificateState", "pfxUserCertificate",
        "userPfxIntendedPurpose", "userPfxPaddingScheme", "certificateRevocationStatus",
        "\"deviceManagement\"", "userPfxCertificates", "<EntitySet", "auditEvent", "auditActor",
    };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        if (strstr(doc, absent[i]))
            fail_msg("v1.0 lists %s", absent[i]);
    gc_arena_free(a);
}

/* The audit log's complex values: a ComplexType each, declared before the entity types, and
 * properties typed as the type or a Collection of it. */
static void test_beta_complex_types(void **state)
{
    gc_arena *a = gc_arena_new();
    char *doc = gc_odata_metadata_xml(a, GC_V_BETA, NULL);
    for (size_t i = 0; i < gc_schema_n_complex; i++) {
        const gc_complex_type *ct = gc_schema_complex[i];
        char *b = block(a, doc, gc_arena_printf(a, "<ComplexType Name=\"%s\">", ct->name),
                        "</ComplexType>");
        assert_int_equal(count_of(b, "<Property "), ct->n_props);
        assert_null(strstr(b, "<Key>"));
    }
    assert_true(strstr(doc, "<ComplexType ") < strstr(doc, "<EntityType "));
    /* auditProperty, used only inside auditResource, comes before it */
    assert_true(strstr(doc, "<ComplexType Name=\"auditProperty\">") <
                strstr(doc, "<ComplexType Name=\"auditResource\">"));
    static const char *const lines[] = {
        "<Property Name=\"actor\" Type=\"microsoft.graph.auditActor\" />",
        "<Property Name=\"resources\" Type=\"Collection(microsoft.graph.auditResource)\" "
        "Nullable=\"false\" />",
        "<Property Name=\"userPermissions\" Type=\"Collection(Edm.String)\" Nullable=\"false\" />",
        "<Property Name=\"modifiedProperties\" Type=\"Collection(microsoft.graph.auditProperty)\" "
        "Nullable=\"false\" />",
        "<Property Name=\"correlationId\" Type=\"Edm.Guid\" Nullable=\"false\" />",
        "<Property Name=\"activityDateTime\" Type=\"Edm.DateTimeOffset\" Nullable=\"false\" />",
        "<Property Name=\"ipAddress\" Type=\"Edm.String\" />",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!strstr(doc, lines[i]))
            fail_msg("missing: %s", lines[i]);
    gc_arena_free(a);
}

static void test_every_served_enum_is_declared(void **state)
{
    /* A property's enum must be declared in the same document, whatever the version. */
    gc_arena *a = gc_arena_new();
    const unsigned versions[] = {GC_V_BETA, GC_V_V1};
    for (size_t v = 0; v < 2; v++) {
        char *doc = gc_odata_metadata_xml(a, versions[v], NULL);
        for (size_t i = 0; i < gc_schema_n_types; i++) {
            const gc_entity_type *t = gc_schema_types[i];
            if (!(t->versions & versions[v]))
                continue;
            for (size_t j = 0; j < t->n_props; j++)
                if (t->props[j].type == GC_EDM_ENUM)
                    assert_non_null(strstr(doc, gc_arena_printf(a, "<EnumType Name=\"%s\"",
                                                                t->props[j].enum_type->name)));
        }
    }
    gc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beta_parses_and_has_the_expected_shape),
        cmocka_unit_test(test_beta_lists_every_type_and_property),
        cmocka_unit_test(test_beta_lists_every_enum_member_with_its_value),
        cmocka_unit_test(test_beta_singletons_and_container),
        cmocka_unit_test(test_v1_lists_only_what_v1_serves),
        cmocka_unit_test(test_beta_complex_types),
        cmocka_unit_test(test_every_served_enum_is_declared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
