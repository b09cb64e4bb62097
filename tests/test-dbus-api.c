/*
 * test-dbus-api.c: the D-Bus API definition and its generated bindings.
 *
 * Two kinds of checks:
 *
 * - The conventions of docs/dbus-api.md hold for every interface, read
 *   from the XML in the source tree and from the code generated from it:
 *   one interface per file named after the file, every method ending in
 *   "options a{sv}", no writable properties, the generated code in step
 *   with the XML.
 * - The generated skeletons and proxies work across a real bus (a private
 *   dbus-daemon through GTestDBus): the manager at the object manager's
 *   own path, escaped domain paths, PropertiesChanged, BP_ERROR codes
 *   coming back from their D-Bus names, and a job's Completed signal
 *   arriving before the job object goes away.  A toy server in a thread
 *   of its own plays the daemon; it implements just enough to drive the
 *   bindings and is no model of the real daemon's logic.
 */
#include <config.h>

#include <gio/gio.h>
#include <string.h>

#include "dbus/bp-dbus-generated.h"
#include "util/bp-error.h"

#define BP_BUS_NAME "org.blkpoint.Blkpoint1"
#define BP_ROOT_PATH "/org/blkpoint/Blkpoint1"

static const char *const interface_names[] = {
    "org.blkpoint.Blkpoint1.Manager",
    "org.blkpoint.Blkpoint1.Domain",
    "org.blkpoint.Blkpoint1.Checkpoint",
    "org.blkpoint.Blkpoint1.Job",
};


static GDBusInterfaceInfo *
generated_info(const char *name)
{
    if (g_str_equal(name, "org.blkpoint.Blkpoint1.Manager"))
        return bp_manager_interface_info();
    if (g_str_equal(name, "org.blkpoint.Blkpoint1.Domain"))
        return bp_domain_interface_info();
    if (g_str_equal(name, "org.blkpoint.Blkpoint1.Checkpoint"))
        return bp_checkpoint_interface_info();
    if (g_str_equal(name, "org.blkpoint.Blkpoint1.Job"))
        return bp_job_interface_info();
    g_assert_not_reached();
}


static char *
args_signature(GDBusArgInfo **args)
{
    GString *sig = g_string_new(NULL);

    for (size_t i = 0; args && args[i]; i++)
        g_string_append_printf(sig, "%s %s;", args[i]->signature, args[i]->name);
    return g_string_free(sig, FALSE);
}


static size_t
count_members(void **members)
{
    size_t n = 0;

    while (members && members[n])
        n++;
    return n;
}


/* Asserts that @a (parsed from the XML) and @b (compiled in) describe the
 * same members with the same signatures. */
static void
assert_same_interface(GDBusInterfaceInfo *a, GDBusInterfaceInfo *b)
{
    size_t n;

    g_assert_cmpstr(a->name, ==, b->name);
    for (n = 0; a->methods && a->methods[n]; n++) {
        GDBusMethodInfo *ma = a->methods[n];
        GDBusMethodInfo *mb = g_dbus_interface_info_lookup_method(b, ma->name);
        g_autofree char *ina = NULL, *inb = NULL, *outa = NULL, *outb = NULL;

        g_assert_nonnull(mb);
        ina = args_signature(ma->in_args);
        inb = args_signature(mb->in_args);
        outa = args_signature(ma->out_args);
        outb = args_signature(mb->out_args);
        g_assert_cmpstr(ina, ==, inb);
        g_assert_cmpstr(outa, ==, outb);
    }
    g_assert_cmpuint(n, ==, count_members((void **) b->methods));

    for (n = 0; a->properties && a->properties[n]; n++) {
        GDBusPropertyInfo *pa = a->properties[n];
        GDBusPropertyInfo *pb = g_dbus_interface_info_lookup_property(b, pa->name);

        g_assert_nonnull(pb);
        g_assert_cmpstr(pa->signature, ==, pb->signature);
        g_assert_cmpint(pa->flags, ==, pb->flags);
    }
    g_assert_cmpuint(n, ==, count_members((void **) b->properties));

    for (n = 0; a->signals && a->signals[n]; n++) {
        GDBusSignalInfo *sa = a->signals[n];
        GDBusSignalInfo *sb = g_dbus_interface_info_lookup_signal(b, sa->name);
        g_autofree char *siga = NULL, *sigb = NULL;

        g_assert_nonnull(sb);
        siga = args_signature(sa->args);
        sigb = args_signature(sb->args);
        g_assert_cmpstr(siga, ==, sigb);
    }
    g_assert_cmpuint(n, ==, count_members((void **) b->signals));
}


/* Every interface file in src/dbus parses, holds exactly the interface it
 * is named after, matches the generated code, and follows the API's
 * conventions. */
static void
test_conventions(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(interface_names); i++) {
        const char *iname = interface_names[i];
        g_autofree char *file = g_strdup_printf("%s.xml", iname);
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "..", "src",
                                                      "dbus", file, NULL);
        g_autofree char *xml = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(GDBusNodeInfo) node = NULL;
        GDBusInterfaceInfo *info;

        g_test_message("checking %s", path);
        g_assert_true(g_file_get_contents(path, &xml, NULL, &err));
        g_assert_no_error(err);
        node = g_dbus_node_info_new_for_xml(xml, &err);
        g_assert_no_error(err);
        g_assert_nonnull(node->interfaces);
        g_assert_nonnull(node->interfaces[0]);
        g_assert_null(node->interfaces[1]);
        info = node->interfaces[0];
        g_assert_cmpstr(info->name, ==, iname);

        assert_same_interface(info, generated_info(iname));

        for (size_t m = 0; info->methods && info->methods[m]; m++) {
            GDBusMethodInfo *method = info->methods[m];
            size_t nin = 0;

            g_assert_true(g_ascii_isupper(method->name[0]));
            while (method->in_args && method->in_args[nin])
                nin++;
            if (nin == 0 ||
                !g_str_equal(method->in_args[nin - 1]->name, "options") ||
                !g_str_equal(method->in_args[nin - 1]->signature, "a{sv}"))
                g_error("%s.%s does not end with 'options a{sv}'",
                        iname, method->name);
        }
        for (size_t p = 0; info->properties && info->properties[p]; p++) {
            GDBusPropertyInfo *prop = info->properties[p];

            g_assert_true(g_ascii_isupper(prop->name[0]));
            if (prop->flags != G_DBUS_PROPERTY_INFO_FLAGS_READABLE)
                g_error("%s:%s is writable; changes go through methods",
                        iname, prop->name);
        }
    }
}


/* ---- a toy server in its own thread ------------------------------------ */

typedef struct {
    char *address;
    GThread *thread;
    GMainContext *context;
    GMainLoop *loop;
    GMutex lock;
    GCond cond;
    gboolean ready;
    GDBusConnection *conn;
    GDBusObjectManagerServer *objman;
    BpManager *manager;
    guint owner_id;
    guint next_job;
} ToyServer;


static gboolean
toy_check_options(GDBusMethodInvocation *invocation, GVariant *options)
{
    GVariantIter iter;
    const char *key;

    g_variant_iter_init(&iter, options);
    while (g_variant_iter_next(&iter, "{&sv}", &key, NULL)) {
        if (!g_str_equal(key, "auth.no_user_interaction")) {
            g_dbus_method_invocation_return_error(invocation, BP_ERROR,
                                                  BP_ERROR_INVALID_ARGUMENT,
                                                  "unknown option '%s'", key);
            return FALSE;
        }
    }
    return TRUE;
}


static gboolean
toy_handle_start(BpDomain *domain, GDBusMethodInvocation *invocation,
                 GVariant *options, gpointer opaque G_GNUC_UNUSED)
{
    if (!toy_check_options(invocation, options))
        return TRUE;
    bp_domain_set_state(domain, "running");
    bp_domain_complete_start(domain, invocation);
    return TRUE;
}


static gboolean
toy_handle_cancel(BpJob *job, GDBusMethodInvocation *invocation,
                  GVariant *options, gpointer opaque)
{
    ToyServer *srv = opaque;
    const char *path = g_dbus_interface_skeleton_get_object_path(
        G_DBUS_INTERFACE_SKELETON(job));
    g_autofree char *owned_path = g_strdup(path);
    g_autoptr(GDBusObject) domobj = NULL;
    g_autoptr(BpDomain) domain = NULL;
    const char *none[] = { NULL };

    if (!toy_check_options(invocation, options))
        return TRUE;
    bp_job_complete_cancel(job, invocation);
    bp_job_set_state(job, "completed");
    bp_job_emit_completed(job, TRUE, "");
    domobj = g_dbus_object_manager_get_object(
        G_DBUS_OBJECT_MANAGER(srv->objman), bp_job_get_domain(job));
    domain = bp_object_get_domain(BP_OBJECT(domobj));
    bp_domain_set_jobs(domain, none);
    g_dbus_object_manager_server_unexport(srv->objman, owned_path);
    return TRUE;
}


static gboolean
toy_handle_backup_begin(BpDomain *domain, GDBusMethodInvocation *invocation,
                        const char *backup_xml G_GNUC_UNUSED,
                        const char *checkpoint_xml G_GNUC_UNUSED,
                        GVariant *options, gpointer opaque)
{
    ToyServer *srv = opaque;
    g_autofree char *path = g_strdup_printf(BP_ROOT_PATH "/job/%u", ++srv->next_job);
    g_autoptr(BpObjectSkeleton) obj = bp_object_skeleton_new(path);
    g_autoptr(BpJob) job = bp_job_skeleton_new();
    const char *disks[] = { "vda", NULL };
    const char *jobs[] = { path, NULL };

    if (!toy_check_options(invocation, options))
        return TRUE;
    bp_job_set_operation(job, "backup-pull");
    bp_job_set_domain(job, g_dbus_interface_skeleton_get_object_path(
                               G_DBUS_INTERFACE_SKELETON(domain)));
    bp_job_set_disks(job, disks);
    bp_job_set_state(job, "running");
    bp_job_set_cancelable(job, TRUE);
    bp_job_set_start_time(job, g_get_real_time());
    g_signal_connect(job, "handle-cancel", G_CALLBACK(toy_handle_cancel), srv);
    bp_object_skeleton_set_job(obj, job);
    g_dbus_object_manager_server_export(srv->objman, G_DBUS_OBJECT_SKELETON(obj));
    bp_domain_set_jobs(domain, jobs);
    bp_domain_complete_backup_begin(domain, invocation, path);
    return TRUE;
}


static gboolean
toy_handle_define(BpManager *manager, GDBusMethodInvocation *invocation,
                  const char *xml, GVariant *options, gpointer opaque)
{
    ToyServer *srv = opaque;
    const char *start = strstr(xml, "<name>");
    const char *end = start ? strstr(start, "</name>") : NULL;
    g_autofree char *name = NULL;
    g_autofree char *escaped = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GDBusObject) existing = NULL;
    g_autoptr(BpObjectSkeleton) obj = NULL;
    g_autoptr(BpDomain) domain = NULL;
    const char *none[] = { NULL };

    if (!toy_check_options(invocation, options))
        return TRUE;
    if (!end) {
        g_dbus_method_invocation_return_error_literal(invocation, BP_ERROR,
                                                      BP_ERROR_XML_INVALID,
                                                      "no <name> in domain");
        return TRUE;
    }
    start += strlen("<name>");
    name = g_strndup(start, end - start);
    escaped = g_dbus_escape_object_path(name);
    path = g_strdup_printf(BP_ROOT_PATH "/domain/%s", escaped);
    existing = g_dbus_object_manager_get_object(G_DBUS_OBJECT_MANAGER(srv->objman),
                                                path);
    if (existing) {
        g_dbus_method_invocation_return_error(invocation, BP_ERROR, BP_ERROR_EXISTS,
                                              "domain '%s' already exists", name);
        return TRUE;
    }

    obj = bp_object_skeleton_new(path);
    domain = bp_domain_skeleton_new();
    bp_domain_set_name(domain, name);
    bp_domain_set_uuid(domain, "c7a5fdbd-edaf-9455-926a-d65c16db1809");
    bp_domain_set_state(domain, "shutoff");
    bp_domain_set_runtime(domain, "storage");
    bp_domain_set_persistent(domain, TRUE);
    bp_domain_set_current_checkpoint(domain, "/");
    bp_domain_set_jobs(domain, none);
    g_signal_connect(domain, "handle-start", G_CALLBACK(toy_handle_start), srv);
    g_signal_connect(domain, "handle-backup-begin",
                     G_CALLBACK(toy_handle_backup_begin), srv);
    bp_object_skeleton_set_domain(obj, domain);
    g_dbus_object_manager_server_export(srv->objman, G_DBUS_OBJECT_SKELETON(obj));
    bp_manager_complete_define_domain(manager, invocation, path);
    return TRUE;
}


static gboolean
toy_handle_lookup(BpManager *manager G_GNUC_UNUSED,
                  GDBusMethodInvocation *invocation,
                  const char *name, GVariant *options,
                  gpointer opaque G_GNUC_UNUSED)
{
    if (!toy_check_options(invocation, options))
        return TRUE;
    g_dbus_method_invocation_return_error(invocation, BP_ERROR, BP_ERROR_NO_DOMAIN,
                                          "no domain with matching name '%s'", name);
    return TRUE;
}


static void
toy_name_acquired(GDBusConnection *conn G_GNUC_UNUSED,
                  const char *name G_GNUC_UNUSED, gpointer opaque)
{
    ToyServer *srv = opaque;

    g_mutex_lock(&srv->lock);
    srv->ready = TRUE;
    g_cond_signal(&srv->cond);
    g_mutex_unlock(&srv->lock);
}


static gpointer
toy_server_thread(gpointer opaque)
{
    ToyServer *srv = opaque;
    const char *features[] = { "checkpoint", "backup-pull", NULL };
    g_autoptr(GError) err = NULL;

    g_main_context_push_thread_default(srv->context);

    srv->conn = g_dbus_connection_new_for_address_sync(
        srv->address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &err);
    g_assert_no_error(err);

    /* The manager sits at the object manager's own path: exported
     * directly, since the object manager only exports paths below it. */
    srv->manager = bp_manager_skeleton_new();
    bp_manager_set_version(srv->manager, PACKAGE_VERSION);
    bp_manager_set_features(srv->manager, features);
    bp_manager_set_max_concurrent_jobs(srv->manager, 4);
    g_signal_connect(srv->manager, "handle-define-domain",
                     G_CALLBACK(toy_handle_define), srv);
    g_signal_connect(srv->manager, "handle-lookup-domain",
                     G_CALLBACK(toy_handle_lookup), srv);
    g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(srv->manager),
                                     srv->conn, BP_ROOT_PATH, &err);
    g_assert_no_error(err);
    srv->objman = g_dbus_object_manager_server_new(BP_ROOT_PATH);
    g_dbus_object_manager_server_set_connection(srv->objman, srv->conn);

    srv->owner_id = g_bus_own_name_on_connection(srv->conn, BP_BUS_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_NONE,
                                                 toy_name_acquired, NULL,
                                                 srv, NULL);
    g_main_loop_run(srv->loop);

    g_bus_unown_name(srv->owner_id);
    g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(srv->manager));
    g_clear_object(&srv->objman);
    g_clear_object(&srv->manager);
    g_dbus_connection_close_sync(srv->conn, NULL, NULL);
    g_clear_object(&srv->conn);
    while (g_main_context_iteration(srv->context, FALSE))
        ;
    g_main_context_pop_thread_default(srv->context);
    return NULL;
}


static ToyServer *
toy_server_start(const char *address)
{
    ToyServer *srv = g_new0(ToyServer, 1);

    srv->address = g_strdup(address);
    srv->context = g_main_context_new();
    srv->loop = g_main_loop_new(srv->context, FALSE);
    g_mutex_init(&srv->lock);
    g_cond_init(&srv->cond);
    srv->thread = g_thread_new("toy-server", toy_server_thread, srv);

    g_mutex_lock(&srv->lock);
    while (!srv->ready)
        g_cond_wait(&srv->cond, &srv->lock);
    g_mutex_unlock(&srv->lock);
    return srv;
}


static void
toy_server_stop(ToyServer *srv)
{
    g_main_loop_quit(srv->loop);
    g_thread_join(srv->thread);
    g_main_loop_unref(srv->loop);
    g_main_context_unref(srv->context);
    g_mutex_clear(&srv->lock);
    g_cond_clear(&srv->cond);
    g_free(srv->address);
    g_free(srv);
}


/* ---- the client side ------------------------------------------------- */

typedef struct {
    GPtrArray *events;   /* "added PATH", "completed SUCCESS", "removed PATH" */
} Recorder;


static void
on_object_added(GDBusObjectManager *om G_GNUC_UNUSED, GDBusObject *obj,
                gpointer opaque)
{
    Recorder *rec = opaque;

    g_ptr_array_add(rec->events, g_strdup_printf("added %s",
                                                 g_dbus_object_get_object_path(obj)));
}


static void
on_object_removed(GDBusObjectManager *om G_GNUC_UNUSED, GDBusObject *obj,
                  gpointer opaque)
{
    Recorder *rec = opaque;

    g_ptr_array_add(rec->events, g_strdup_printf("removed %s",
                                                 g_dbus_object_get_object_path(obj)));
}


static void
on_job_completed(BpJob *job G_GNUC_UNUSED, gboolean success, const char *message,
                 gpointer opaque)
{
    Recorder *rec = opaque;

    g_ptr_array_add(rec->events, g_strdup_printf("completed %d '%s'",
                                                 success, message));
}


static gboolean
recorder_has(Recorder *rec, const char *event)
{
    for (guint i = 0; i < rec->events->len; i++)
        if (g_str_equal(g_ptr_array_index(rec->events, i), event))
            return TRUE;
    return FALSE;
}


/* Iterates the default main context until @event was recorded, or fails
 * after 10 seconds. */
static void
wait_for_event(Recorder *rec, const char *event)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!recorder_has(rec, event)) {
        if (g_get_monotonic_time() > deadline)
            g_error("timed out waiting for '%s'", event);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}


static void
wait_for_state(BpDomain *domain, const char *state)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (g_strcmp0(bp_domain_get_state(domain), state) != 0) {
        if (g_get_monotonic_time() > deadline)
            g_error("timed out waiting for State '%s' (is '%s')",
                    state, bp_domain_get_state(domain));
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}


static GVariant *
no_options(void)
{
    return g_variant_new("a{sv}", NULL);
}


static void
test_bus_roundtrip(void)
{
    g_autofree char *dbus_daemon = g_find_program_in_path("dbus-daemon");
    g_autoptr(GTestDBus) bus = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(BpManager) manager = NULL;
    g_autoptr(GDBusObjectManager) om = NULL;
    g_autoptr(GDBusObject) domobj = NULL;
    g_autoptr(BpDomain) domain = NULL;
    g_autoptr(GDBusObject) jobobj = NULL;
    g_autoptr(BpJob) job = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    g_autofree char *job_path = NULL;
    g_autofree char *ev_added = NULL;
    g_autofree char *ev_removed = NULL;
    g_autoptr(GVariantBuilder) opts = NULL;
    Recorder rec = { g_ptr_array_new_with_free_func(g_free) };
    ToyServer *srv;
    guint completed_at = 0, removed_at = 0;

    if (!dbus_daemon) {
        g_test_skip("dbus-daemon not found");
        g_ptr_array_unref(rec.events);
        return;
    }

    bp_error_register_dbus();
    bus = g_test_dbus_new(G_TEST_DBUS_NONE);
    g_test_dbus_up(bus);
    srv = toy_server_start(g_test_dbus_get_bus_address(bus));

    conn = g_dbus_connection_new_for_address_sync(
        g_test_dbus_get_bus_address(bus),
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &err);
    g_assert_no_error(err);

    /* The manager's properties, at the object manager's path. */
    manager = bp_manager_proxy_new_sync(conn, G_DBUS_PROXY_FLAGS_NONE, BP_BUS_NAME,
                                        BP_ROOT_PATH, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(bp_manager_get_version(manager), ==, PACKAGE_VERSION);
    g_assert_cmpuint(bp_manager_get_max_concurrent_jobs(manager), ==, 4);
    g_assert_true(g_strv_contains(bp_manager_get_features(manager), "backup-pull"));

    om = bp_object_manager_client_new_sync(conn,
                                           G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                           BP_BUS_NAME, BP_ROOT_PATH, NULL, &err);
    g_assert_no_error(err);
    g_signal_connect(om, "object-added", G_CALLBACK(on_object_added), &rec);
    g_signal_connect(om, "object-removed", G_CALLBACK(on_object_removed), &rec);

    /* Define: the name is escaped into the path, the object appears. */
    g_assert_true(bp_manager_call_define_domain_sync(
        manager, "<domain><name>vm-1</name></domain>", no_options(),
        G_DBUS_CALL_FLAGS_NONE, -1, &path, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(path, ==, BP_ROOT_PATH "/domain/vm_2d1");
    ev_added = g_strdup_printf("added %s", path);
    wait_for_event(&rec, ev_added);
    domobj = g_dbus_object_manager_get_object(om, path);
    g_assert_nonnull(domobj);
    domain = bp_object_get_domain(BP_OBJECT(domobj));
    g_assert_nonnull(domain);
    g_assert_cmpstr(bp_domain_get_name(domain), ==, "vm-1");
    g_assert_cmpstr(bp_domain_get_state(domain), ==, "shutoff");
    g_assert_cmpstr(bp_domain_get_current_checkpoint(domain), ==, "/");

    /* Named errors come back as BP_ERROR codes. */
    g_assert_false(bp_manager_call_define_domain_sync(
        manager, "<domain><name>vm-1</name></domain>", no_options(),
        G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_false(bp_manager_call_lookup_domain_sync(manager, "nope", no_options(),
                                                      G_DBUS_CALL_FLAGS_NONE, -1,
                                                      NULL, NULL, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_NO_DOMAIN);
    {
        g_autofree char *remote = g_dbus_error_get_remote_error(err);
        g_assert_cmpstr(remote, ==, "org.blkpoint.Blkpoint1.Error.NoDomain");
    }
    g_clear_error(&err);

    /* Options: a known key passes, an unknown one is refused. */
    opts = g_variant_builder_new(G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(opts, "{sv}", "childern", g_variant_new_boolean(TRUE));
    g_assert_false(bp_domain_call_start_sync(domain, g_variant_builder_end(opts),
                                             G_DBUS_CALL_FLAGS_NONE, -1, NULL, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    g_variant_builder_unref(g_steal_pointer(&opts));
    opts = g_variant_builder_new(G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(opts, "{sv}", "auth.no_user_interaction",
                          g_variant_new_boolean(TRUE));

    /* A state change reaches the proxy through PropertiesChanged. */
    g_assert_true(bp_domain_call_start_sync(domain, g_variant_builder_end(opts),
                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &err));
    g_assert_no_error(err);
    wait_for_state(domain, "running");

    /* A job: appears, completes, then goes away, in that order. */
    g_assert_true(bp_domain_call_backup_begin_sync(domain, "", "", no_options(),
                                                   G_DBUS_CALL_FLAGS_NONE, -1,
                                                   &job_path, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(job_path, ==, BP_ROOT_PATH "/job/1");
    g_free(ev_added);
    ev_added = g_strdup_printf("added %s", job_path);
    wait_for_event(&rec, ev_added);
    jobobj = g_dbus_object_manager_get_object(om, job_path);
    job = bp_object_get_job(BP_OBJECT(jobobj));
    g_assert_cmpstr(bp_job_get_operation(job), ==, "backup-pull");
    g_assert_cmpstr(bp_job_get_domain(job), ==, path);
    g_assert_true(bp_job_get_cancelable(job));
    g_signal_connect(job, "completed", G_CALLBACK(on_job_completed), &rec);

    g_assert_true(bp_job_call_cancel_sync(job, no_options(), G_DBUS_CALL_FLAGS_NONE, -1,
                                          NULL, &err));
    g_assert_no_error(err);
    ev_removed = g_strdup_printf("removed %s", job_path);
    wait_for_event(&rec, ev_removed);
    for (guint i = 0; i < rec.events->len; i++) {
        const char *ev = g_ptr_array_index(rec.events, i);

        if (g_str_equal(ev, "completed 1 ''"))
            completed_at = i + 1;
        if (g_str_equal(ev, ev_removed))
            removed_at = i + 1;
    }
    g_assert_cmpuint(completed_at, >, 0);
    g_assert_cmpuint(completed_at, <, removed_at);

    g_clear_object(&job);
    g_clear_object(&jobobj);
    g_clear_object(&domain);
    g_clear_object(&domobj);
    g_clear_object(&om);
    g_clear_object(&manager);
    toy_server_stop(srv);
    g_dbus_connection_close_sync(conn, NULL, NULL);
    g_clear_object(&conn);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_test_dbus_down(bus);
    g_ptr_array_unref(rec.events);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/dbus/api/conventions", test_conventions);
    g_test_add_func("/dbus/api/bus-roundtrip", test_bus_roundtrip);

    return g_test_run();
}
