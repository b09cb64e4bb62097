/*
 * blkpoint: the virsh-like client of blkpointd.
 *
 *   blkpoint [GLOBAL OPTIONS] COMMAND [ARGUMENTS]
 *
 * This file holds main() and the table of commands; each group of
 * commands lives in a file of its own (blkpoint-domain.c, ...), option
 * parsing in blkpoint-opts.c, output layout in blkpoint-output.c, the
 * D-Bus connection and error reporting in blkpoint-util.c.  blkpoint(1)
 * documents the commands; client/blkpoint.bash-completion completes them.
 *
 * Commands the manual documents but this client does not implement yet
 * are in the table without a handler: "help" leaves them out and running
 * one says it is not implemented yet.
 *
 * Exit status, as virsh's: 0 on success, 1 on any failure.
 */
#include <config.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "blkpoint-backup.h"
#include "blkpoint-backup-pull.h"
#include "blkpoint-blockjob.h"
#include "blkpoint-checkpoint.h"
#include "blkpoint-snapshot.h"
#include "blkpoint-cmd.h"
#include "blkpoint-domain.h"
#include "blkpoint-help.h"
#include "blkpoint-util.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_PLANNED(name, help) { name, NULL, NULL, help, NULL }

static const BpCmdDef bp_cmds_domain[] = {
    BP_PLANNED("autostart", N_("autostart a domain")),
    BP_PLANNED("create", N_("create a domain from an XML file")),
    { "define", bp_cmd_define, bp_opts_define,
      N_("define (but don't start) a domain from an XML file"),
      N_("Define a persistent domain from the <domain> document in FILE, or "
         "update the definition of the domain with that name and UUID.") },
    { "destroy", bp_cmd_destroy, bp_opts_destroy,
      N_("destroy (stop) a domain"),
      N_("Stop the domain at once: its jobs are cancelled and its "
         "qemu-storage-daemon is terminated.  For the attach runtime only "
         "the connection to its QEMU is closed.") },
    { "domblklist", bp_cmd_domblklist, bp_opts_domblklist,
      N_("list all domain blocks"),
      N_("Get the summary of block devices for a domain: each disk's target "
         "and source and, while a storage domain runs, the NBD export it is "
         "served on.") },
    { "dominfo", bp_cmd_dominfo, bp_opts_domain_only,
      N_("domain information"),
      N_("Returns basic information about the domain.") },
    { "dumpxml", bp_cmd_dumpxml, bp_opts_dumpxml,
      N_("domain information in XML"),
      N_("Output the domain information as an XML dump to stdout: for a "
         "running domain the live form, with the backing chains as opened "
         "and the exports.") },
    { "list", bp_cmd_list, bp_opts_list,
      N_("list domains"),
      N_("Returns list of domains.") },
    { "shutdown", bp_cmd_shutdown, bp_opts_domain_only,
      N_("gracefully shutdown a domain"),
      N_("Stop the domain cleanly: its exports are removed and its dirty "
         "bitmaps written to the images.  Refused while a job runs.") },
    { "start", bp_cmd_start, bp_opts_start,
      N_("start a (previously defined) inactive domain"),
      N_("Start the domain's runtime: launch its qemu-storage-daemon "
         "(storage runtime) or connect to its QEMU (attach runtime).") },
    { "undefine", bp_cmd_undefine, bp_opts_undefine,
      N_("undefine a domain"),
      N_("Undefine an inactive domain, or convert persistent to transient.") },
    { NULL, NULL, NULL, NULL, NULL }
};

static const BpCmdDef bp_cmds_checkpoint[] = {
    { "checkpoint-create", bp_cmd_checkpoint_create, bp_opts_checkpoint_create,
      N_("Create a checkpoint from XML"),
      N_("Create a checkpoint from the <domaincheckpoint> document in XMLFILE "
         "(without it: named after the current time, every writable disk) for "
         "use in future incremental backups: one persistent dirty bitmap per "
         "disk, all created at one point in time, whether the domain runs or "
         "not.  With --redefine, record a checkpoint from checkpoint-dumpxml "
         "output without touching the images.") },
    { "checkpoint-create-as", bp_cmd_checkpoint_create_as,
      bp_opts_checkpoint_create_as,
      N_("Create a checkpoint from a set of args"),
      N_("Create a checkpoint from arguments for use in future incremental "
         "backups.  Each diskspec is DISK[,checkpoint=bitmap|no][,bitmap=NAME]; "
         "a comma inside a value is written twice.") },
    { "checkpoint-delete", bp_cmd_checkpoint_delete, bp_opts_checkpoint_delete,
      N_("Delete a domain checkpoint"),
      N_("Delete the checkpoint: its bitmap is removed from every layer of "
         "every disk and its record from the catalogue; its children move to "
         "its parent.") },
    { "checkpoint-dumpxml", bp_cmd_checkpoint_dumpxml, bp_opts_checkpoint_dumpxml,
      N_("Dump XML for a domain checkpoint"),
      N_("Print the checkpoint's XML, with the domain definition of the time "
         "it was taken.  --size adds to each disk the bytes written since the "
         "checkpoint, whether the domain runs or not.") },
    { "checkpoint-edit", bp_cmd_checkpoint_edit, bp_opts_checkpoint_edit,
      N_("edit XML for a checkpoint"),
      N_("Edit the domain checkpoint XML for a named checkpoint in $VISUAL or "
         "$EDITOR (default vi) and redefine it.  Renaming is refused.") },
    { "checkpoint-info", bp_cmd_checkpoint_info, bp_opts_checkpoint_info,
      N_("checkpoint information"),
      N_("Returns basic information about a checkpoint: its parent, how many "
         "children and descendants it has, when it was taken, whether it is "
         "current, and whether its bitmaps can be used.") },
    { "checkpoint-list", bp_cmd_checkpoint_list, bp_opts_checkpoint_list,
      N_("List checkpoints for a domain"),
      N_("List the domain's checkpoints with their creation times (local "
         "time), sorted by name, as a tree or as names only.") },
    { "checkpoint-parent", bp_cmd_checkpoint_parent, bp_opts_checkpoint_parent,
      N_("Get the name of the parent of a checkpoint"),
      N_("Extract the checkpoint's parent, if any") },
    { NULL, NULL, NULL, NULL, NULL }
};

static const BpCmdDef bp_cmds_backup[] = {
    { "backup-begin", bp_cmd_backup_begin, bp_opts_backup_begin,
      N_("Start a disk backup of a live domain"),
      N_("Use XML to start a full or incremental disk backup of a live domain, "
         "optionally creating a checkpoint at the same point in time (without "
         "a document: a full push backup of every disk to generated file "
         "names).  With --wait, wait for a push backup to end and fail when it "
         "failed or was aborted; --verbose shows its progress.") },
    { "backup-dumpxml", bp_cmd_backup_dumpxml, bp_opts_backup_dumpxml,
      N_("Dump XML for an ongoing domain block backup job"),
      N_("Output the domain block backup job XML, with every default filled "
         "in.") },
    { "backup-finish", bp_cmd_backup_finish, bp_opts_backup_finish,
      N_("Report a pull-mode backup's files as written"),
      N_("Tell the running pull-mode backup that its consumer has copied the disks "
         "named by --output DISK=FILE (every disk when none is given) and record "
         "FILE as that disk's backup file.  When every disk has been reported, the "
         "backup completes and its new checkpoint becomes usable; domjobabort "
         "before that cancels it.") },
    { "backup-list", bp_cmd_backup_list, bp_opts_backup_list,
      N_("List the backups the catalogue remembers"),
      N_("List the domain's backups, oldest first: when each started, push or "
         "pull, full or incremental, the checkpoint it started from and the "
         "one it created, its status and the bytes it copied.  --details shows "
         "each disk's image and size.") },
    { "backup-pull", bp_cmd_backup_pull, bp_opts_backup_pull,
      N_("Copy a pull-mode backup's exports to files"),
      N_("Copy the disks of the running pull-mode backup over NBD into new qcow2 "
         "files: only the allocated extents of a full backup, only the dirty "
         "extents of an incremental one (on top of --backing, by default the file "
         "recorded for the disk by the backup that created the base checkpoint), "
         "zeroes as holes; then report the files, as backup-finish does.  --output "
         "names the file of one disk (--disk); --output-dir DIR writes "
         "DIR/DOMAIN-DISK-BACKUPID.qcow2 for each disk.") },
    { "domjobabort", bp_cmd_domjobabort, bp_opts_domjobabort,
      N_("abort active domain job"),
      N_("Aborts the currently running domain job: the backup, push or pull, "
         "ends as cancelled and its new checkpoint is removed (a pull backup "
         "completes with backup-pull or backup-finish instead).") },
    { "domjobinfo", bp_cmd_domjobinfo, bp_opts_domjobinfo,
      N_("domain job information"),
      N_("Returns information about jobs running on a domain.") },
    { "restore", bp_cmd_restore, bp_opts_restore,
      N_("Write a disk image as it was at a backup"),
      N_("Write a standalone image holding the disk as it was at a backup: the "
         "full backup and the incremental backups up to the chosen one (by "
         "--backup id, by the --checkpoint it created, else the newest), "
         "flattened into FILE, which must not exist yet.  Waits for the end "
         "unless --async; --verbose shows the progress.") },
    { NULL, NULL, NULL, NULL, NULL }
};

static const BpCmdDef bp_cmds_snapshot[] = {
    { "blockcommit", bp_cmd_blockcommit, bp_opts_blockcommit,
      N_("Start a block commit operation."),
      N_("Commit changes from a snapshot down to its backing image.  The "
         "checkpoints' bitmaps of the committed layers are merged into the "
         "base, so incremental backups continue.  A shut-off domain is "
         "committed with qemu-img before the command returns.") },
    { "blockpull", bp_cmd_blockpull, bp_opts_blockpull,
      N_("Populate a disk from its backing image."),
      N_("Populate a disk from its backing image chain.  The checkpoints' "
         "bitmaps of the pulled layers are merged into the disk's top "
         "layer; a checkpoint whose bitmap only the pulled layers hold is "
         "marked broken.  A shut-off domain is pulled with qemu-img before "
         "the command returns.") },
    { "blockjob", bp_cmd_blockjob, bp_opts_blockjob,
      N_("Manage active block operations"),
      N_("Query, adjust speed, or cancel active block operations.") },
    { "snapshot-create", bp_cmd_snapshot_create, bp_opts_snapshot_create,
      N_("Create a snapshot from XML"),
      N_("Create an external disk-only snapshot (--disk-only) from the "
         "<domainsnapshot> document in XMLFILE: each disk gets a new qcow2 "
         "overlay, and every checkpoint valid on a disk gets a recording "
         "bitmap in its overlay in the same QMP transaction.") },
    { "snapshot-create-as", bp_cmd_snapshot_create_as, bp_opts_snapshot_create_as,
      N_("Create a snapshot from a set of args"),
      N_("Create an external disk-only snapshot (--disk-only) from arguments.  "
         "Each diskspec is DISK[,snapshot=external|no][,driver=qcow2][,file=PATH]; "
         "overlays without a file are named after the image and the snapshot.") },
    { "snapshot-current", bp_cmd_snapshot_current, bp_opts_snapshot_current,
      N_("Get the current snapshot"),
      N_("Print the XML (or with --name the name) of the domain's current snapshot.") },
    { "snapshot-delete", bp_cmd_snapshot_delete, bp_opts_snapshot_delete,
      N_("Delete a domain snapshot"),
      N_("Forget a snapshot's metadata (--metadata); its overlays stay in the "
         "chain.  Deleting the data of an external snapshot is not supported.") },
    { "snapshot-dumpxml", bp_cmd_snapshot_dumpxml, bp_opts_snapshot_dumpxml,
      N_("Dump XML for a domain snapshot"),
      N_("Print the snapshot's XML, with the domain definition of the time it "
         "was taken.") },
    { "snapshot-info", bp_cmd_snapshot_info, bp_opts_snapshot_info,
      N_("snapshot information"),
      N_("Returns basic information about a snapshot.") },
    { "snapshot-list", bp_cmd_snapshot_list, bp_opts_snapshot_list,
      N_("List snapshots for a domain"),
      N_("List the domain's snapshots with their creation times (local time) "
         "and states.") },
    { "snapshot-parent", bp_cmd_snapshot_parent, bp_opts_snapshot_parent,
      N_("Get the name of the parent of a snapshot"),
      N_("Extract the snapshot's parent, if any") },
    { NULL, NULL, NULL, NULL, NULL }
};

static const BpCmdDef bp_cmds_blkpoint[] = {
    { "help", bp_cmd_help, bp_opts_help,
      N_("print help"),
      N_("Prints global help, command specific help, or help for a group of "
         "related commands") },
    { "version", bp_cmd_version, NULL,
      N_("show version"),
      N_("Display the version of the client, of the daemon and of the QEMU "
         "it uses.") },
    { NULL, NULL, NULL, NULL, NULL }
};

static const BpCmdGroup bp_cmd_groups[] = {
    { "domain", N_("Domain Management"), bp_cmds_domain },
    { "checkpoint", N_("Checkpoint"), bp_cmds_checkpoint },
    { "backup", N_("Backup"), bp_cmds_backup },
    { "snapshot", N_("Snapshot and Block Jobs"), bp_cmds_snapshot },
    { "blkpoint", N_("blkpoint itself"), bp_cmds_blkpoint },
    { NULL, NULL, NULL }
};


/* "blkpoint --help". */
static void
bp_print_usage(const char *progname)
{
    g_autofree char *usage = bp_help_usage(progname);
    g_autofree char *groups = bp_help_groups(bp_cmd_groups, NULL);

    printf("%s%s", usage, groups);
    printf("  %s\n\n", _("(specify help <group> for details about the commands in the group)"));
    printf("  %s\n\n", _("(specify help <command> for details about the command)"));
}


/* Fails the run before a command could start: the message, and with
 * --json the error document. */
static int
bp_fail_early(BpCtl *ctl, GError *error)
{
    bp_ctl_report_error(ctl, error);
    return EXIT_FAILURE;
}


int
main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpCtl) ctl = NULL;
    g_autoptr(BpCmd) cmd = NULL;
    BpGlobalOpts gopts;
    const BpCmdDef *def;
    gboolean ok;
    int idx;

    bp_i18n_init();
    bp_error_register_dbus();

    if ((idx = bp_global_parse(argc, argv, &gopts, &err)) < 0) {
        fprintf(stderr, _("error: %s\n"), err->message);
        return EXIT_FAILURE;
    }
    ctl = bp_ctl_new(&gopts, bp_cmd_groups);

    if (gopts.help) {
        g_autofree char *progname = g_path_get_basename(argv[0]);

        bp_print_usage(progname);
        return EXIT_SUCCESS;
    }
    if (gopts.version || gopts.version_long) {
        bp_version_print(ctl, gopts.version_long);
        return EXIT_SUCCESS;
    }
    if (idx >= argc) {
        g_set_error(&err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("no command given; 'blkpoint help' lists the commands"));
        return bp_fail_early(ctl, err);
    }

    if (!(def = bp_cmd_lookup(bp_cmd_groups, argv[idx]))) {
        g_set_error(&err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("unknown command: '%s'"), argv[idx]);
        return bp_fail_early(ctl, err);
    }
    if (!def->handler) {
        g_set_error(&err, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                    _("command '%s' is not implemented yet"), def->name);
        return bp_fail_early(ctl, err);
    }
    if (!(cmd = bp_cmd_parse(def, argc - idx - 1, argv + idx + 1, &err)))
        return bp_fail_early(ctl, err);
    ctl->json |= cmd->json;

    if (cmd->help) {
        /* virsh runs "CMD --help" as "help CMD", empty line included. */
        g_autofree char *text = bp_help_command(def);

        fputs(text, stdout);
        bp_ctl_print_extra(ctl, "\n");
        return EXIT_SUCCESS;
    }

    if (!(ok = def->handler(ctl, cmd, &err)))
        bp_ctl_report_error(ctl, err);
    /* virsh ends every command's output with an empty line, unless -q. */
    bp_ctl_print_extra(ctl, "\n");
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
