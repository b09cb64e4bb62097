/*
 * bp-dbus-test-owner.c: owns org.blkpoint.Blkpoint1 on a given bus and
 * exports an idle manager, so that tests/test-dbus-files.sh can check
 * what the bus policy lets through.  Not a test by itself.
 *
 * Usage: bp-dbus-test-owner ADDRESS
 * Prints "acquired" or "denied" on stdout; after "acquired" it serves
 * until SIGTERM or SIGINT.  Exit status 0 after serving, 1 when the name
 * could not be owned.
 */
#include <config.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>

#include "dbus/bp-dbus-generated.h"

static int exit_status = 0;


static void
on_acquired(GDBusConnection *conn G_GNUC_UNUSED, const char *name G_GNUC_UNUSED,
            gpointer opaque G_GNUC_UNUSED)
{
    printf("acquired\n");
    fflush(stdout);
}


static void
on_lost(GDBusConnection *conn G_GNUC_UNUSED, const char *name G_GNUC_UNUSED,
        gpointer opaque)
{
    printf("denied\n");
    fflush(stdout);
    exit_status = 1;
    g_main_loop_quit(opaque);
}


static gboolean
on_signal(gpointer opaque)
{
    g_main_loop_quit(opaque);
    return G_SOURCE_REMOVE;
}


int
main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(BpManager) manager = NULL;
    g_autoptr(GDBusObjectManagerServer) objman = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    guint owner_id;

    if (argc != 2) {
        fprintf(stderr, "usage: %s ADDRESS\n", argv[0]);
        return 2;
    }
    conn = g_dbus_connection_new_for_address_sync(
        argv[1],
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &err);
    if (!conn) {
        fprintf(stderr, "%s: %s\n", argv[0], err->message);
        return 2;
    }

    manager = bp_manager_skeleton_new();
    bp_manager_set_version(manager, PACKAGE_VERSION);
    if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(manager), conn,
                                          "/org/blkpoint/Blkpoint1", &err)) {
        fprintf(stderr, "%s: %s\n", argv[0], err->message);
        return 2;
    }
    objman = g_dbus_object_manager_server_new("/org/blkpoint/Blkpoint1");
    g_dbus_object_manager_server_set_connection(objman, conn);

    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    owner_id = g_bus_own_name_on_connection(conn, "org.blkpoint.Blkpoint1",
                                            G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                            on_acquired, on_lost, loop, NULL);
    g_main_loop_run(loop);
    g_bus_unown_name(owner_id);
    return exit_status;
}
