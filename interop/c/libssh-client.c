/* The contract's client for libssh (interop/README.md): HOST PORT [PORT ...].
 *
 * One session per port with libssh's defaults: user "sshdoctor", any host key
 * accepted (ssh_connect does not check it; we never call
 * ssh_session_is_known_server), only the "none" authentication tried.
 *
 * libssh reads ~/.ssh/config (and /etc/ssh/ssh_config) on ssh_connect unless
 * told not to, and orders its host key list by what ~/.ssh/known_hosts holds
 * for the host: this harness leaves that default alone, so it must run with
 * an empty HOME (the interop tests pass one) to send libssh's own defaults.
 *
 * Prints one JSON line per port: ok (key exchange done), chosen (what
 * ssh_get_kex_algo, ssh_get_cipher_in/out and ssh_get_hmac_in/out say; libssh
 * has no getter for the host key algorithm or compression), error
 * (ssh_get_error's text) and ident (the server's identification).
 */
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_string(const char *s)
{
    if (s == NULL) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            putchar('\\');
            putchar(c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

/* An AEAD cipher makes the MAC implicit: libssh names it "aead-poly1305" or "aead-gcm". */
static const char *mac_name(const char *s)
{
    if (s == NULL || strncmp(s, "aead-", 5) == 0) {
        return NULL;
    }
    return s;
}

static void one(const char *host, const char *port_text)
{
    ssh_session session = ssh_new();
    long timeout = 10;
    unsigned int port = (unsigned int)strtoul(port_text, NULL, 10);
    int ok = 0;
    const char *error = NULL;
    char auth_error[1024] = "";

    ssh_options_set(session, SSH_OPTIONS_HOST, host);
    ssh_options_set(session, SSH_OPTIONS_PORT, &port);
    ssh_options_set(session, SSH_OPTIONS_USER, "sshdoctor");
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);

    if (ssh_connect(session) == SSH_OK) {
        ok = 1;
        int rc = ssh_userauth_none(session, NULL);
        if (rc == SSH_AUTH_SUCCESS) {
            snprintf(auth_error, sizeof auth_error, "authentication 'none' succeeded");
        } else {
            snprintf(auth_error, sizeof auth_error, "%s", ssh_get_error(session));
            if (auth_error[0] == '\0') {
                snprintf(auth_error, sizeof auth_error, "Access denied (ssh_userauth_none returned %d)", rc);
            }
        }
        error = auth_error;
    } else {
        error = ssh_get_error(session);
    }

    printf("{\"ok\": %s, \"chosen\": ", ok ? "true" : "false");
    if (ok) {
        fputs("{\"kex\": ", stdout);
        json_string(ssh_get_kex_algo(session));
        fputs(", \"cipher_c2s\": ", stdout);
        json_string(ssh_get_cipher_out(session));
        fputs(", \"cipher_s2c\": ", stdout);
        json_string(ssh_get_cipher_in(session));
        fputs(", \"mac_c2s\": ", stdout);
        json_string(mac_name(ssh_get_hmac_out(session)));
        fputs(", \"mac_s2c\": ", stdout);
        json_string(mac_name(ssh_get_hmac_in(session)));
        putchar('}');
    } else {
        fputs("null", stdout);
    }
    fputs(", \"error\": ", stdout);
    json_string(error);
    fputs(", \"ident\": ", stdout);
    json_string(ssh_get_serverbanner(session));
    fputs("}\n", stdout);
    fflush(stdout);
    ssh_disconnect(session);
    ssh_free(session);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [PORT ...]\n", argv[0]);
        return 2;
    }
    ssh_init();
    for (int i = 2; i < argc; i++) {
        one(argv[1], argv[i]);
    }
    ssh_finalize();
    return 0;
}
