/* user: the directory lookup the PFX import tool makes (§1.1); derived, not stored. */
#include "schema/entities/entities.h"

#include <jansson.h>
#include <string.h>

#include "cert/x509.h"
#include "core/util.h"

/* ---- user: the directory lookup the PFX import tool makes (§1.1) ---- */

static const gc_prop user_props[] = {
    /* derived from the UPN, so not something to look a user up by */
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY | GC_P_SERVER},
    {.name = "userPrincipalName", .column = "user_principal_name", .type = GC_EDM_STRING,
     .flags = GC_P_FILTER},
};
static const char *const user_read[] = {"User.Read.All", "User.ReadBasic.All", "Directory.Read.All",
                                        "DeviceManagementConfiguration.Read.All",
                                        "DeviceManagementConfiguration.ReadWrite.All", NULL};

const gc_entity_type gc_schema_user = {
    .name = "user",
    .set_path = "users",
    .set_name = "users",
    .table = "users",
    .versions = GC_V_BETA | GC_V_V1,
    .props = user_props,
    .n_props = N(user_props),
    .read_perms = user_read,
    .write_perms = user_read,
};
