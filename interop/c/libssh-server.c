/* The contract's server for libssh (interop/README.md): PORT KEYDIR.
 *
 * An ssh_bind on 127.0.0.1:PORT with libssh's default algorithm lists and the
 * lab's Ed25519, ECDSA P-256 and RSA host keys (OpenSSH format). Each
 * connection is served by a child process: key exchange, then every
 * authentication request refused, until the client leaves (bounded: 10 s).
 *
 * stdout: "listening", then per connection {"chosen": {...}} from
 * ssh_get_kex_algo / ssh_get_cipher_in/out / ssh_get_hmac_in/out once keys
 * are exchanged. stderr: ssh_get_error's text when a key exchange fails (the
 * server's log line, "kex error : no match for method ...").
 */
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

static const char *mac_name(const char *s)
{
    if (s == NULL || strncmp(s, "aead-", 5) == 0) {
        return NULL;
    }
    return s;
}

static void serve(ssh_session session)
{
    long timeout = 10;
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);
    /* A client that hangs must not keep the child forever. */
    alarm(15);
    if (ssh_handle_key_exchange(session) != SSH_OK) {
        fprintf(stderr, "libssh server: %s\n", ssh_get_error(session));
        return;
    }
    /* On the server "out" is server->client. */
    fputs("{\"chosen\": {\"kex\": ", stdout);
    json_string(ssh_get_kex_algo(session));
    fputs(", \"cipher_c2s\": ", stdout);
    json_string(ssh_get_cipher_in(session));
    fputs(", \"cipher_s2c\": ", stdout);
    json_string(ssh_get_cipher_out(session));
    fputs(", \"mac_c2s\": ", stdout);
    json_string(mac_name(ssh_get_hmac_in(session)));
    fputs(", \"mac_s2c\": ", stdout);
    json_string(mac_name(ssh_get_hmac_out(session)));
    fputs("}}\n", stdout);
    fflush(stdout);

    ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD);
    ssh_message message;
    while ((message = ssh_message_get(session)) != NULL) {
        /* The default reply refuses authentication and every other request. */
        ssh_message_reply_default(message);
        ssh_message_free(message);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT KEYDIR\n", argv[0]);
        return 2;
    }
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    ssh_init();
    ssh_bind bind = ssh_bind_new();
    unsigned int port = (unsigned int)strtoul(argv[1], NULL, 10);
    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDADDR, "127.0.0.1");
    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDPORT, &port);
    const char *names[] = {"ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[2], names[i]);
        if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, path) != SSH_OK) {
            fprintf(stderr, "libssh server: cannot load %s: %s\n", path, ssh_get_error(bind));
            return 1;
        }
    }
    if (ssh_bind_listen(bind) != SSH_OK) {
        fprintf(stderr, "libssh server: listen: %s\n", ssh_get_error(bind));
        return 1;
    }
    puts("listening");
    fflush(stdout);
    for (;;) {
        ssh_session session = ssh_new();
        if (ssh_bind_accept(bind, session) != SSH_OK) {
            fprintf(stderr, "libssh server: accept: %s\n", ssh_get_error(bind));
            ssh_free(session);
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            ssh_bind_free(bind);
            serve(session);
            ssh_disconnect(session);
            ssh_free(session);
            fflush(stderr);
            _exit(0);
        }
        ssh_free(session);
    }
}
