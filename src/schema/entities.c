/* The permission lists the entity types of schema/entities/ share. The registry of the schema
 * (gc_schema_types, gc_schema_enums, gc_schema_complex) is not written here: the build generates
 * it (src/schema/registry.cmake) from the GC_SCHEMA_REGISTER lines of the files in
 * schema/entities/, so adding an entity type is adding its file there. */
#include "schema/schema.h"
#include "schema/entities/entities.h"

const char *const gc_perm_config_read[] = {"DeviceManagementConfiguration.Read.All",
                                          "DeviceManagementConfiguration.ReadWrite.All", NULL};
const char *const gc_perm_config_write[] = {"DeviceManagementConfiguration.ReadWrite.All", NULL};
const char *const gc_perm_apps_read[] = {"DeviceManagementApps.Read.All",
                                        "DeviceManagementApps.ReadWrite.All",
                                        "DeviceManagementConfiguration.Read.All",
                                        "DeviceManagementConfiguration.ReadWrite.All", NULL};
const char *const gc_perm_apps_write[] = {"DeviceManagementApps.ReadWrite.All", NULL};
