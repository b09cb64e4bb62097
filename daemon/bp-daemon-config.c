/*
 * bp-daemon-config.c: defaults, blkpointd.conf, environment and command
 * line (see the header).
 */
#include <config.h>

#include <string.h>

#include "bp-daemon-config.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* Every group and key blkpointd.conf may hold (daemon/blkpointd.conf.in). */
static const char *const bp_config_daemon_keys[] = {
    "state_dir", "runtime_dir", "log_level", "max_concurrent_jobs", NULL
};
static const char *const bp_config_qemu_keys[] = {
    "qemu_storage_daemon", "qemu_img", "stop_timeout", "qmp_command_timeout", NULL
};
static const char *const bp_config_backup_keys[] = {
    "nbd_listen_address", "nbd_port_min", "nbd_port_max", "nbd_tls_x509_dir",
    "nbd_tls", "scratch_dir", NULL
};

static const struct {
    const char *group;
    const char *const *keys;
} bp_config_groups[] = {
    { "daemon", bp_config_daemon_keys },
    { "qemu", bp_config_qemu_keys },
    { "backup", bp_config_backup_keys },
};


BpDaemonConfig *
bp_daemon_config_new(gboolean system)
{
    BpDaemonConfig *config = g_new0(BpDaemonConfig, 1);

    config->system = system;
    config->log_level = BP_LOG_MESSAGE;
    config->max_concurrent_jobs = 4;
    config->stop_timeout = 30;
    config->qmp_command_timeout = 60;
    config->nbd_listen_address = g_strdup("unix");
    config->nbd_port_min = 10809;
    config->nbd_port_max = 10872;
    return config;
}


void
bp_daemon_config_free(BpDaemonConfig *config)
{
    if (!config)
        return;
    g_free(config->config_path);
    g_free(config->state_dir);
    g_free(config->runtime_dir);
    g_free(config->qemu_storage_daemon);
    g_free(config->qemu_img);
    g_free(config->nbd_listen_address);
    g_free(config->nbd_tls_x509_dir);
    g_free(config->scratch_dir);
    g_free(config);
}


/* $XDG_<NAME> when set and absolute, else ~/@fallback (the XDG base
 * directory rules), read each time so that tests can change it. */
static char *
bp_config_xdg_dir(const char *variable, const char *fallback)
{
    const char *value = g_getenv(variable);

    if (value && g_path_is_absolute(value))
        return g_strdup(value);
    return fallback ? g_build_filename(g_get_home_dir(), fallback, NULL) : NULL;
}


char *
bp_daemon_config_default_path(gboolean system)
{
    g_autofree char *dir = NULL;

    if (system)
        return g_build_filename(SYSCONFDIR, "blkpoint", "blkpointd.conf", NULL);
    dir = bp_config_xdg_dir("XDG_CONFIG_HOME", ".config");
    return g_build_filename(dir, "blkpoint", "blkpointd.conf", NULL);
}


static void
bp_config_warn_unknown(GKeyFile *kf, const char *path)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    for (size_t g = 0; groups[g]; g++) {
        const char *const *known = NULL;
        g_auto(GStrv) keys = NULL;

        for (size_t i = 0; i < G_N_ELEMENTS(bp_config_groups); i++) {
            if (g_str_equal(groups[g], bp_config_groups[i].group))
                known = bp_config_groups[i].keys;
        }
        if (!known) {
            g_warning(_("%s: unknown group [%s] ignored"), path, groups[g]);
            continue;
        }
        keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
        for (size_t k = 0; keys && keys[k]; k++) {
            if (!g_strv_contains(known, keys[k]))
                g_warning(_("%s: unknown key '%s' in group [%s] ignored"),
                          path, keys[k], groups[g]);
        }
    }
}


static void
bp_config_value_error(GError **error, const char *path, const char *group,
                      const char *key, const char *why)
{
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("%s: [%s] %s: %s"), path, group, key, why);
}


/* Reads a string key into @dest when present; an empty value means
 * "none" (NULL).  When @absolute, the value must be an absolute path. */
static gboolean
bp_config_string(GKeyFile *kf, const char *path, const char *group,
                 const char *key, gboolean absolute, char **dest, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *value = NULL;

    if (!g_key_file_has_key(kf, group, key, NULL))
        return TRUE;
    if (!(value = g_key_file_get_string(kf, group, key, &err))) {
        bp_config_value_error(error, path, group, key, err->message);
        return FALSE;
    }
    g_strstrip(value);
    if (absolute && *value && !g_path_is_absolute(value)) {
        bp_config_value_error(error, path, group, key,
                              _("the value must be an absolute path"));
        return FALSE;
    }
    g_free(*dest);
    *dest = *value ? g_steal_pointer(&value) : NULL;
    return TRUE;
}


static gboolean
bp_config_uint(GKeyFile *kf, const char *path, const char *group, const char *key,
               guint64 min, guint64 max, guint *dest, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *value = NULL;
    guint64 num;

    if (!g_key_file_has_key(kf, group, key, NULL))
        return TRUE;
    value = g_key_file_get_string(kf, group, key, &err);
    if (!value || !g_ascii_string_to_unsigned(g_strstrip(value), 10, min, max,
                                              &num, &err)) {
        bp_config_value_error(error, path, group, key, err->message);
        return FALSE;
    }
    *dest = (guint) num;
    return TRUE;
}


static gboolean
bp_config_bool(GKeyFile *kf, const char *path, const char *group, const char *key,
               gboolean *dest, GError **error)
{
    g_autoptr(GError) err = NULL;
    gboolean value;

    if (!g_key_file_has_key(kf, group, key, NULL))
        return TRUE;
    value = g_key_file_get_boolean(kf, group, key, &err);
    if (err) {
        bp_config_value_error(error, path, group, key, err->message);
        return FALSE;
    }
    *dest = value;
    return TRUE;
}


gboolean
bp_daemon_config_load(BpDaemonConfig *config, const char *path,
                      gboolean must_exist, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *level = NULL;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        if (!must_exist && g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("cannot read configuration file %s: %s"), path, err->message);
        return FALSE;
    }
    bp_config_warn_unknown(kf, path);

    if (!bp_config_string(kf, path, "daemon", "state_dir", TRUE, &config->state_dir, error) ||
        !bp_config_string(kf, path, "daemon", "runtime_dir", TRUE, &config->runtime_dir, error) ||
        !bp_config_string(kf, path, "daemon", "log_level", FALSE, &level, error) ||
        !bp_config_uint(kf, path, "daemon", "max_concurrent_jobs", 0, G_MAXUINT16,
                        &config->max_concurrent_jobs, error) ||
        !bp_config_string(kf, path, "qemu", "qemu_storage_daemon", FALSE,
                          &config->qemu_storage_daemon, error) ||
        !bp_config_string(kf, path, "qemu", "qemu_img", FALSE, &config->qemu_img, error) ||
        !bp_config_uint(kf, path, "qemu", "stop_timeout", 1, 3600,
                        &config->stop_timeout, error) ||
        !bp_config_uint(kf, path, "qemu", "qmp_command_timeout", 1, 86400,
                        &config->qmp_command_timeout, error) ||
        !bp_config_string(kf, path, "backup", "nbd_listen_address", FALSE,
                          &config->nbd_listen_address, error) ||
        !bp_config_uint(kf, path, "backup", "nbd_port_min", 1, 65535,
                        &config->nbd_port_min, error) ||
        !bp_config_uint(kf, path, "backup", "nbd_port_max", 1, 65535,
                        &config->nbd_port_max, error) ||
        !bp_config_string(kf, path, "backup", "nbd_tls_x509_dir", TRUE,
                          &config->nbd_tls_x509_dir, error) ||
        !bp_config_bool(kf, path, "backup", "nbd_tls", &config->nbd_tls, error) ||
        !bp_config_string(kf, path, "backup", "scratch_dir", TRUE,
                          &config->scratch_dir, error))
        return FALSE;

    if (level && !bp_log_level_from_string(level, &config->log_level)) {
        g_autofree char *why = g_strdup_printf(
            _("unknown log level '%s' (expected error, warning, message, info or debug)"),
            level);

        bp_config_value_error(error, path, "daemon", "log_level", why);
        return FALSE;
    }
    if (!config->nbd_listen_address)
        config->nbd_listen_address = g_strdup("unix");
    if (config->nbd_port_min > config->nbd_port_max) {
        g_autofree char *why = g_strdup_printf(_("%u is below nbd_port_min (%u)"),
                                               config->nbd_port_max, config->nbd_port_min);

        bp_config_value_error(error, path, "backup", "nbd_port_max", why);
        return FALSE;
    }
    if (config->nbd_tls && !config->nbd_tls_x509_dir) {
        bp_config_value_error(error, path, "backup", "nbd_tls",
                              _("TLS needs nbd_tls_x509_dir"));
        return FALSE;
    }
    g_free(config->config_path);
    config->config_path = g_strdup(path);
    return TRUE;
}


/* The first directory of a systemd $STATE_DIRECTORY-like list. */
static char *
bp_config_systemd_dir(const char *variable)
{
    const char *value = g_getenv(variable);
    const char *colon;

    if (!value || !*value)
        return NULL;
    colon = strchr(value, ':');
    return colon ? g_strndup(value, colon - value) : g_strdup(value);
}


static char *
bp_config_absolute(const char *path)
{
    return g_canonicalize_filename(path, NULL);
}


gboolean
bp_daemon_config_resolve_dirs(BpDaemonConfig *config, const char *cli_state_dir,
                              const char *cli_runtime_dir, GError **error)
{
    g_autofree char *state = NULL;
    g_autofree char *runtime = NULL;

    if (cli_state_dir && *cli_state_dir)
        state = g_strdup(cli_state_dir);
    else if (config->state_dir)
        state = g_strdup(config->state_dir);
    else if ((state = bp_config_systemd_dir("STATE_DIRECTORY")))
        ;
    else if (config->system)
        state = g_build_filename(LOCALSTATEDIR, "lib", "blkpoint", NULL);
    else {
        g_autofree char *base = bp_config_xdg_dir("XDG_STATE_HOME", ".local/state");

        state = g_build_filename(base, "blkpoint", NULL);
    }

    if (cli_runtime_dir && *cli_runtime_dir)
        runtime = g_strdup(cli_runtime_dir);
    else if (config->runtime_dir)
        runtime = g_strdup(config->runtime_dir);
    else if ((runtime = bp_config_systemd_dir("RUNTIME_DIRECTORY")))
        ;
    else if (config->system)
        runtime = g_build_filename(RUNSTATEDIR, "blkpoint", NULL);
    else {
        g_autofree char *base = bp_config_xdg_dir("XDG_RUNTIME_DIR", NULL);

        if (!base) {
            g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                _("XDG_RUNTIME_DIR is not set; give the session "
                                  "daemon a runtime directory with --runtime-dir"));
            return FALSE;
        }
        runtime = g_build_filename(base, "blkpoint", NULL);
    }

    g_free(config->state_dir);
    config->state_dir = bp_config_absolute(state);
    g_free(config->runtime_dir);
    config->runtime_dir = bp_config_absolute(runtime);
    return TRUE;
}
