/* A client loop for bench/callgrind.sh: one SNMPv3 authPriv (SHA/AES) session through net-snmp's
 * C library, then N synchronous GETs of sysDescr.0, so the agent under measurement sees one
 * discovery exchange and N protected GETs and nothing else.
 *
 *   v3get_loop HOST:PORT USER AUTHPASS PRIVPASS N
 *
 * Exits non-zero (with the reason on stderr) if any GET does not come back as a Response with
 * error-status noError, so a measurement is never taken over failed requests. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST:PORT USER AUTHPASS PRIVPASS N\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[5], NULL, 10);
    init_snmp("v3get_loop");

    netsnmp_session session;
    snmp_sess_init(&session);
    session.peername = argv[1];
    session.version = SNMP_VERSION_3;
    session.securityName = argv[2];
    session.securityNameLen = strlen(argv[2]);
    session.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
    session.securityAuthProto = usmHMACSHA1AuthProtocol;
    session.securityAuthProtoLen = USM_AUTH_PROTO_SHA_LEN;
    session.securityAuthKeyLen = USM_AUTH_KU_LEN;
    if (generate_Ku(session.securityAuthProto, session.securityAuthProtoLen,
                    (u_char *)argv[3], strlen(argv[3]), session.securityAuthKey,
                    &session.securityAuthKeyLen) != SNMPERR_SUCCESS) {
        fprintf(stderr, "v3get_loop: cannot make the auth key\n");
        return 1;
    }
    session.securityPrivProto = usmAESPrivProtocol;
    session.securityPrivProtoLen = USM_PRIV_PROTO_AES_LEN;
    session.securityPrivKeyLen = USM_PRIV_KU_LEN;
    if (generate_Ku(session.securityAuthProto, session.securityAuthProtoLen,
                    (u_char *)argv[4], strlen(argv[4]), session.securityPrivKey,
                    &session.securityPrivKeyLen) != SNMPERR_SUCCESS) {
        fprintf(stderr, "v3get_loop: cannot make the privacy key\n");
        return 1;
    }
    session.timeout = 5000000; /* microseconds: the agent runs under valgrind */
    session.retries = 1;

    netsnmp_session *ss = snmp_open(&session);
    if (!ss) {
        snmp_sess_perror("v3get_loop: snmp_open", &session);
        return 1;
    }
    oid name[MAX_OID_LEN];
    size_t name_len = MAX_OID_LEN;
    if (!read_objid("1.3.6.1.2.1.1.1.0", name, &name_len)) {
        fprintf(stderr, "v3get_loop: bad OID\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
        snmp_add_null_var(pdu, name, name_len);
        netsnmp_pdu *response = NULL;
        int status = snmp_synch_response(ss, pdu, &response);
        if (status != STAT_SUCCESS || !response || response->errstat != SNMP_ERR_NOERROR) {
            if (status == STAT_SUCCESS && response)
                fprintf(stderr, "v3get_loop: GET %ld: %s\n", i, snmp_errstring(response->errstat));
            else
                snmp_sess_perror("v3get_loop: GET", ss);
            return 1;
        }
        snmp_free_pdu(response);
    }
    snmp_close(ss);
    return 0;
}
