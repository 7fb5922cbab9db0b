/* The contract's client for libssh2 (interop/README.md): HOST PORT [PORT ...].
 *
 * One session per port with libssh2's defaults (no libssh2_session_method_pref
 * call): libssh2_session_handshake on a socket of our own, the host key never
 * checked (libssh2 leaves that to the caller), then the "none" authentication
 * (libssh2_userauth_list) as user "sshdoctor". libssh2 reads no
 * configuration files.
 *
 * Prints one JSON line per port: ok (the handshake returned 0), chosen (all
 * eight slots from libssh2_session_methods), error (libssh2_session_last_error:
 * the code's name, the code and the message, "LIBSSH2_ERROR_KEX_FAILURE (-5):
 * Unable to exchange encryption keys") and ident (libssh2_session_banner_get).
 */
#include <arpa/inet.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
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

static const char *code_name(int code)
{
    switch (code) {
    case LIBSSH2_ERROR_SOCKET_NONE: return "LIBSSH2_ERROR_SOCKET_NONE";
    case LIBSSH2_ERROR_BANNER_RECV: return "LIBSSH2_ERROR_BANNER_RECV";
    case LIBSSH2_ERROR_BANNER_SEND: return "LIBSSH2_ERROR_BANNER_SEND";
    case LIBSSH2_ERROR_INVALID_MAC: return "LIBSSH2_ERROR_INVALID_MAC";
    case LIBSSH2_ERROR_KEX_FAILURE: return "LIBSSH2_ERROR_KEX_FAILURE";
    case LIBSSH2_ERROR_ALLOC: return "LIBSSH2_ERROR_ALLOC";
    case LIBSSH2_ERROR_SOCKET_SEND: return "LIBSSH2_ERROR_SOCKET_SEND";
    case LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE: return "LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE";
    case LIBSSH2_ERROR_TIMEOUT: return "LIBSSH2_ERROR_TIMEOUT";
    case LIBSSH2_ERROR_HOSTKEY_INIT: return "LIBSSH2_ERROR_HOSTKEY_INIT";
    case LIBSSH2_ERROR_HOSTKEY_SIGN: return "LIBSSH2_ERROR_HOSTKEY_SIGN";
    case LIBSSH2_ERROR_DECRYPT: return "LIBSSH2_ERROR_DECRYPT";
    case LIBSSH2_ERROR_SOCKET_DISCONNECT: return "LIBSSH2_ERROR_SOCKET_DISCONNECT";
    case LIBSSH2_ERROR_PROTO: return "LIBSSH2_ERROR_PROTO";
    case LIBSSH2_ERROR_AUTHENTICATION_FAILED: return "LIBSSH2_ERROR_AUTHENTICATION_FAILED";
    case LIBSSH2_ERROR_SOCKET_RECV: return "LIBSSH2_ERROR_SOCKET_RECV";
    case LIBSSH2_ERROR_SOCKET_TIMEOUT: return "LIBSSH2_ERROR_SOCKET_TIMEOUT";
    default: return "libssh2 error";
    }
}

/* An AEAD cipher makes the MAC implicit. libssh2 1.11 names a pseudo MAC for AES-GCM
 * ("INTEGRATED-AES-GCM"); for chacha20-poly1305 it still negotiates (and names) an HMAC it never uses. */
static const char *mac_name(const char *mac, const char *cipher)
{
    if (mac == NULL || strncmp(mac, "INTEGRATED", 10) == 0
        || (cipher != NULL && strcmp(cipher, "chacha20-poly1305@openssh.com") == 0)) {
        return NULL;
    }
    return mac;
}

static void print_error(LIBSSH2_SESSION *session, char *buf, size_t size)
{
    char *msg = NULL;
    int len = 0;
    int code = libssh2_session_last_error(session, &msg, &len, 0);
    snprintf(buf, size, "%s (%d): %s", code_name(code), code, msg ? msg : "");
}

static void one(const char *host, const char *port_text)
{
    char error[2048] = "";
    int ok = 0;
    LIBSSH2_SESSION *session = NULL;
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {10, 0};
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)strtoul(port_text, NULL, 10));
    inet_pton(AF_INET, host, &addr.sin_addr);
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
        snprintf(error, sizeof error, "connect: failed");
    } else {
        session = libssh2_session_init();
        libssh2_session_set_timeout(session, 10000);
        if (libssh2_session_handshake(session, sock) == 0) {
            ok = 1;
            char *methods = libssh2_userauth_list(session, "sshdoctor", 9);
            if (methods != NULL) {
                snprintf(error, sizeof error, "authentication methods that can continue: %s", methods);
            } else if (libssh2_userauth_authenticated(session)) {
                snprintf(error, sizeof error, "authentication 'none' succeeded");
            } else {
                print_error(session, error, sizeof error);
            }
        } else {
            print_error(session, error, sizeof error);
        }
    }

    printf("{\"ok\": %s, \"chosen\": ", ok ? "true" : "false");
    if (ok) {
        static const struct { const char *slot; int method; } slots[] = {
            {"kex", LIBSSH2_METHOD_KEX}, {"hostkey", LIBSSH2_METHOD_HOSTKEY},
            {"cipher_c2s", LIBSSH2_METHOD_CRYPT_CS}, {"cipher_s2c", LIBSSH2_METHOD_CRYPT_SC},
            {"mac_c2s", LIBSSH2_METHOD_MAC_CS}, {"mac_s2c", LIBSSH2_METHOD_MAC_SC},
            {"compression_c2s", LIBSSH2_METHOD_COMP_CS}, {"compression_s2c", LIBSSH2_METHOD_COMP_SC},
        };
        putchar('{');
        for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
            const char *name = libssh2_session_methods(session, slots[i].method);
            if (slots[i].method == LIBSSH2_METHOD_MAC_CS) {
                name = mac_name(name, libssh2_session_methods(session, LIBSSH2_METHOD_CRYPT_CS));
            } else if (slots[i].method == LIBSSH2_METHOD_MAC_SC) {
                name = mac_name(name, libssh2_session_methods(session, LIBSSH2_METHOD_CRYPT_SC));
            }
            printf("%s\"%s\": ", i ? ", " : "", slots[i].slot);
            json_string(name);
        }
        putchar('}');
    } else {
        fputs("null", stdout);
    }
    fputs(", \"error\": ", stdout);
    json_string(error[0] ? error : NULL);
    fputs(", \"ident\": ", stdout);
    json_string(session ? libssh2_session_banner_get(session) : NULL);
    fputs("}\n", stdout);
    fflush(stdout);
    if (session != NULL) {
        libssh2_session_disconnect(session, "done");
        libssh2_session_free(session);
    }
    close(sock);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [PORT ...]\n", argv[0]);
        return 2;
    }
    libssh2_init(0);
    for (int i = 2; i < argc; i++) {
        one(argv[1], argv[i]);
    }
    libssh2_exit();
    return 0;
}
