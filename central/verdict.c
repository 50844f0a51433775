/*
 * verdict.c: DESIGN 7 groups 2-10 in order; the first failing group decides
 * and lists every failing code of that group. Group 3 (keys) and 8
 * (history) need the database; 4-7, 9 and 10 are common/rules.c, shared
 * with the station so both sides judge a return the same way.
 */
#include "verdict.h"

#include <stdlib.h>
#include <string.h>

#include "amend.h"
#include "certify.h"
#include "common/rules.h"
#include "history.h"
#include "vcache.h"

/* The enrolled precincts of a key, as cm_check_ctx wants them. */
typedef struct key_precincts {
    size_t n;
    char ids[PR_ENROL_PRECINCTS_MAX][PR_ID_MAX + 1];
    const char *ptr[PR_ENROL_PRECINCTS_MAX];
} key_precincts;

static int load_key_precincts(ct_db *db, int64_t key, key_precincts *kp, ct_err *e)
{
    static const char sql[] = "SELECT precinct FROM key_precincts WHERE key = ?1 ORDER BY precinct";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    kp->n = 0;
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, key) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (kp->n < PR_ENROL_PRECINCTS_MAX) {
            ct_col_text(s, 0, kp->ids[kp->n], sizeof kp->ids[kp->n]);
            kp->ptr[kp->n] = kp->ids[kp->n];
            kp->n++;
        }
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

/* The enrolled key with r's key id whose signature verifies (*key, 0 when
 * none does) and whether any key has that id (*any). The workers' answer
 * stands while no key was enrolled since they read the keys table (issue
 * 8: the writer's own lookup was a random read of a large table per
 * return); otherwise the table is asked. 0, or -1 with e. */
static int signing_key(ct_db *db, const uint8_t *bytes, const pr_return *r, const char *kid,
                       int *any, int64_t *key, ct_err *e)
{
    static const char sql_keys[] = "SELECT id, pk FROM keys WHERE key_id = ?1 ORDER BY id";
    const ct_vkeys *vk = ct_vcache_keys(db, bytes, r);
    sqlite3_stmt *s = NULL;
    uint8_t pk[PR_PK_BYTES];
    int64_t keys_max;
    int rc = -1, step;

    *any = 0;
    *key = 0;
    if (vk != NULL && ct_db_int(db, CT_KEYS_MAX_SQL, &keys_max, e) != 0)
        goto out;
    if (vk != NULL && keys_max == vk->keys_max) {
        *any = vk->n > 0;
        for (size_t m = 0; m < vk->n && *key == 0; m++)
            if (vk->ok[m])
                *key = vk->id[m];
        rc = 0;
        goto out;
    }
    if (ct_db_cached(db, sql_keys, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, kid) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    /* The key id is only a hint: try every enrolled key that has it. */
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        *any = 1;
        if (ct_col_blob(s, 1, pk, PR_PK_BYTES) == 0 && ct_verify_return(db, bytes, r, pk) == 0) {
            *key = (int64_t)sqlite3_column_int64(s, 0);
            break;
        }
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

/* Group 3: finds the enrolled key whose signature verifies. Fills d's codes
 * (unknown-key, bad-signature, revoked-key) on failure, d->key on success;
 * *revoked_hold is set for a key revoked as lost or retired (a hold, not a
 * rejection: DESIGN 7 "Revocation"). */
static int check_key(ct_db *db, const uint8_t *bytes, const pr_return *r, int64_t self,
                     ct_decision *d, int *revoked_hold, ct_err *e)
{
    /* Only revocations recorded before the file was stored (a new file:
     * all of them). */
    static const char sql_rev[] =
        "SELECT reason FROM revocations WHERE key = ?1"
        " AND (?2 = 0 OR seq < (SELECT seq FROM files WHERE id = ?2))"
        " ORDER BY seq DESC LIMIT 1";
    sqlite3_stmt *s = NULL;
    char kid[PR_KEYID_HEX + 1], reason[32];
    int any = 0, rc = -1, step;

    *revoked_hold = 0;
    ct_hex(kid, r->key_id, PR_KEYID_BYTES);
    if (signing_key(db, bytes, r, kid, &any, &d->key, e) != 0)
        goto out;
    if (!any) {
        ct_codes_add(&d->codes, "unknown-key");
        snprintf(d->detail, sizeof d->detail, "no enrolled key with id %s", kid);
    } else if (d->key == 0) {
        ct_codes_add(&d->codes, "bad-signature");
        snprintf(d->detail, sizeof d->detail, "signature does not verify with enrolled key %s", kid);
    } else {
        if (ct_db_cached(db, sql_rev, &s, e) != 0)
            goto out;
        if (ct_bind_i64(s, 1, d->key) != SQLITE_OK || ct_bind_i64(s, 2, self) != SQLITE_OK) {
            ct_db_error(db, e, NULL);
            goto out;
        }
        step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            ct_col_text(s, 0, reason, sizeof reason);
            if (strcmp(reason, "compromised") == 0) {
                ct_codes_add(&d->codes, "revoked-key");
                snprintf(d->detail, sizeof d->detail, "key %s was revoked as compromised", kid);
            } else {
                *revoked_hold = 1;
            }
        } else if (step != SQLITE_DONE) {
            ct_db_error(db, e, NULL);
            goto out;
        }
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

static void take_findings(ct_codes *codes, char *detail, size_t dlen, const cm_findings *f)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        ct_codes_add(codes, f->codes[i]);
    if (detail[0] == '\0' && f->n > 0)
        snprintf(detail, dlen, "%s", f->detail);
}

/* Groups 9 and 10 for a return that stands, into d->holds and d->flags,
 * with the first hold's and the first flag's explanations in hold_detail
 * and flag_detail (each hlen bytes). */
static void review(ct_db *db, const pr_return *r, const ct_hist *h, const key_precincts *kp,
                   int revoked_hold, int64_t now, ct_decision *d, char *hold_detail,
                   char *flag_detail, size_t hlen)
{
    cm_findings holds, flags;

    memset(&holds, 0, sizeof holds);
    memset(&flags, 0, sizeof flags);
    cm_review_return(db->def, r, &holds, &flags);
    take_findings(&d->holds, hold_detail, hlen, &holds);
    if (revoked_hold) {
        ct_codes_add(&d->holds, "revoked-key");
        if (hold_detail[0] == '\0')
            snprintf(hold_detail, hlen, "the key was revoked (lost or retired) before this file came");
    }
    /* DESIGN 7: a correction is held when its key differs from its
     * predecessor's or when the definition holds every correction. */
    if (h->pred != 0 &&
        (db->def->tol.hold_corrections || (h->pred_key != 0 && h->pred_key != d->key))) {
        ct_codes_add(&d->holds, "correction-review");
        if (hold_detail[0] == '\0')
            snprintf(hold_detail, hlen, "%s",
                     db->def->tol.hold_corrections ? "the definition holds corrections"
                                                   : "signed by another key than its predecessor");
    }
    take_findings(&d->flags, flag_detail, hlen, &flags);
    /* An operator key (enrolled for several precincts) is a commission
     * typing paper protocols in (DESIGN 7 "Keys per precinct"). */
    if (kp->n > 1)
        ct_codes_add(&d->flags, "entered-centrally");
    if (r->signed_at > now + CT_FUTURE_SLACK_S)
        ct_codes_add(&d->flags, "signed-in-future");
    if (h->resolves_conflict)
        ct_codes_add(&d->flags, "conflict-resolved-by-station");
}

/* The verdict of a return group 8 let through (role NEW or CORRECTION):
 * held by group 9, else its group 10 flags. */
static void review_verdict(const ct_hist *h, ct_decision *d, const char *hold_detail,
                           const char *flag_detail)
{
    if (d->holds.n > 0) {
        d->verdict = CT_HELD;
        d->grp = 9;
        d->codes = d->holds;
        snprintf(d->detail, sizeof d->detail, "%s", hold_detail);
        goto out;
    }
    d->codes = d->flags;
    if (d->codes.n > 0) {
        d->grp = 10;
        snprintf(d->detail, sizeof d->detail, "%s", flag_detail);
    }
    /* A correction keeps the verdict `corrected` with its flags listed: the
     * verdict says it replaced its predecessor, the codes say what to look
     * at. A first return with flags is `flagged`. */
    if (h->role == CT_ROLE_CORRECTION)
        d->verdict = CT_CORRECTED;
    else
        d->verdict = d->codes.n > 0 ? CT_FLAGGED : CT_ACCEPTED;
out:
    if (d->detail[0] == '\0')
        snprintf(d->detail, sizeof d->detail, "%s", h->detail);
}

int ct_decide(ct_db *db, const uint8_t *bytes, size_t len, int oversize, int64_t self,
              int64_t now, pr_return *r, ct_decision *d, ct_err *e)
{
    key_precincts *kp = NULL;
    pr_return *same_ballot = NULL;
    cm_check_ctx ctx;
    cm_findings f;
    ct_pc_state st;
    ct_hist h;
    pr_diag diag;
    char hold_detail[256] = "", flag_detail[256] = "";
    int revoked_hold = 0, replayed = 0, rc = -1, k;

    memset(d, 0, sizeof *d);
    memset(&st, 0, sizeof st);
    memset(&diag, 0, sizeof diag);
    ct_pc_memo_forget(db);
    d->verdict = CT_REJECTED;
    d->role = CT_ROLE_REJECTED;
    /* Group 2. */
    if (oversize || len > PR_FILE_MAX) {
        d->grp = 2;
        ct_codes_add(&d->codes, "malformed");
        snprintf(d->detail, sizeof d->detail, "file larger than %u bytes", PR_FILE_MAX);
        rc = 0;
        goto out;
    }
    if (pr_return_parse(bytes, len, r, &diag) != 0) {
        d->grp = 2;
        ct_codes_add(&d->codes, "malformed");
        if (diag.line > 0)
            snprintf(d->detail, sizeof d->detail, "line %u: %s", diag.line, diag.msg);
        else
            snprintf(d->detail, sizeof d->detail, "%s", diag.msg);
        rc = 0;
        goto out;
    }
    d->parsed = 1;
    if (!ct_vcache_content(db, bytes, r, d->content, &k))
        k = pr_return_content_hash(r, d->content);
    if (k == -2) { /* out of memory: no verdict, the import stops (exit 3) */
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    if (k != 0) {
        d->grp = 2;
        ct_codes_add(&d->codes, "malformed");
        snprintf(d->detail, sizeof d->detail, "content does not encode canonically");
        rc = 0;
        goto out;
    }
    /* Group 3. */
    if (check_key(db, bytes, r, self, d, &revoked_hold, e) != 0)
        goto out;
    if (d->codes.n > 0) {
        d->grp = 3;
        rc = 0;
        goto out;
    }
    /* Groups 4-7. */
    kp = calloc(1, sizeof *kp);
    if (kp == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    if (load_key_precincts(db, d->key, kp, e) != 0)
        goto out;
    memset(&ctx, 0, sizeof ctx);
    memset(&f, 0, sizeof f);
    ctx.mode = db->mode;
    ctx.key_precincts = kp->ptr;
    ctx.n_key_precincts = kp->n;
    ctx.scope = db->scope[0] != '\0' ? db->scope : NULL;
    /* DESIGN 6: signed against an earlier version whose ballot part for
     * this contest and precinct is unchanged, it is judged as if signed
     * against the newest (a copy with that hash; the file is untouched). */
    if (memcmp(r->definition, db->def_hash, PR_HASH_BYTES) != 0) {
        const cm_definition *old = ct_db_version(db, r->definition);
        if (old != NULL && ct_ballot_part_same(old, db->def, r->contest, r->precinct)) {
            same_ballot = malloc(sizeof *same_ballot);
            if (same_ballot == NULL) {
                ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
                goto out;
            }
            *same_ballot = *r;
            memcpy(same_ballot->definition, db->def_hash, PR_HASH_BYTES);
        }
    }
    if (cm_check_return(db->def, same_ballot != NULL ? same_ballot : r, &ctx, &f) != 0) {
        d->grp = f.group;
        take_findings(&d->codes, d->detail, sizeof d->detail, &f);
        if (d->codes.n == 0)
            ct_codes_add(&d->codes, "rejected");
        rc = 0;
        goto out;
    }
    /* Group 8. */
    if (ct_pc_load(db, r->precinct, r->contest, self, 0, &st, e) != 0 ||
        ct_history_decide(db, &st, r, d->content, &h, e) != 0)
        goto out;
    replayed = 1;
    d->role = h.role;
    d->pred = h.pred;
    /* Groups 9 and 10, for every return that stands (stored with the
     * decision even when group 8 decides the verdict). */
    if (ct_role_standing(h.role))
        review(db, r, &h, kp, revoked_hold, now, d, hold_detail, flag_detail, sizeof hold_detail);
    /* Group 9 of the trust anchors (issue 5): late-key after the key
     * freeze, after-certification (and correction-review) once the
     * contest is certified. */
    if (ct_role_standing(h.role) &&
        ct_anchor_holds(db, r, d->key, self, h.pred != 0, &d->holds, hold_detail,
                        sizeof hold_detail, e) != 0)
        goto out;
    if (h.decided) {
        snprintf(d->detail, sizeof d->detail, "%s", h.detail);
        d->grp = 8;
        d->verdict = h.verdict;
        d->codes = h.codes;
        rc = 0;
        goto out;
    }
    review_verdict(&h, d, hold_detail, flag_detail);
    rc = 0;
out:
    /* the replayed state of a new file's pair, for the memo (history.h) */
    if (rc == 0 && self == 0 && replayed)
        ct_pc_memo_keep(db, r->precinct, r->contest, &st);
    ct_pc_free(&st);
    free(same_ballot);
    free(kp);
    return rc;
}
