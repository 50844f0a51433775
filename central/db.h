/*
 * db.h: central's SQLite database: creation with the schema, opening with
 * the pragmas every connection needs, the election's fixed facts (meta),
 * transactions, and statement helpers that check size conversions.
 * The schema is documented in db.c next to its SQL.
 */
#ifndef CENTRAL_DB_H
#define CENTRAL_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "common/definition.h"
#include "ct.h"
#include "proto/limits.h"

/* Schema version stored in meta.schema; a database of another version is
 * refused rather than guessed at. Version 3 (issue 8) differs from 2 only in
 * indexes: events.hash is no longer UNIQUE (nothing looks an event up by its
 * hash; audit checks the chain), files_by_key_id is gone and
 * decisions_open (below) is new (docs/DECISIONS.md, "Schema 3"). */
#define CT_SCHEMA_VERSION 3
/* The decisions that can change without a new file: rejections that depend
 * on key or definition state and corrections awaiting their predecessor
 * (DESIGN 7). A partial index, so the accepted majority costs nothing to
 * insert and the searches for them (ct_redecide_*) read only the few it
 * holds. A query reaches it only when its WHERE has CT_DECISIONS_OPEN
 * (alias d) as one of its AND terms, word for word (SQLite's rule for
 * partial indexes). */
#define CT_DECISIONS_OPEN "d.role IN ('rejected', 'awaiting')"
#define CT_DECISIONS_OPEN_INDEX                                                                    \
    "CREATE INDEX decisions_open ON decisions(file) WHERE role IN ('rejected', 'awaiting')"
/* How long a command waits for another process's transaction (ms). */
#define CT_BUSY_TIMEOUT_MS 60000

/* An earlier version of the definition (`central amend-definition`). */
typedef struct ct_def_version {
    uint8_t hash[PR_HASH_BYTES];
    cm_definition *def;
} ct_def_version;

typedef struct ct_db {
    sqlite3 *sql;
    cm_definition *def;                 /* the newest version, loaded strictly from
                                         * meta.definition or the newest amendment */
    size_t n_older;
    ct_def_version *older;              /* earlier versions, oldest first */
    char election[PR_ID_MAX + 1];
    char mode[8];                       /* "live" or "test" */
    uint8_t def_hash[PR_HASH_BYTES];    /* of the newest version */
    uint8_t commission_pk[PR_PK_BYTES];
    char path[1024];
    /* `central init --scope AREA` (a lower commission, docs/BUNDLE.md):
     * the area whose precincts it takes; "" and (size_t)-1 for the whole
     * election. Read from the init event's data. */
    char scope[PR_ID_MAX + 1];
    size_t scope_area;
    /* `central init --top-pub PUB`: the top commission key that signed the
     * definition (and signs its amendments), when it is not this
     * database's commission key; has_top 0 otherwise. */
    int has_top;
    uint8_t top_pk[PR_PK_BYTES];
    /* Prepared statements of the hot path, kept for the connection's life
     * (ct_db_cached); finalized by ct_db_close. */
    struct ct_stmt_slot {
        const char *sql;                /* the literal it was prepared from */
        sqlite3_stmt *st;
        int busy;                       /* handed out, not yet given back */
    } cached[48];
    struct ct_vcache *vcache;           /* signatures checked ahead (vcache.h) */
    struct ct_pc_memo *pc_memo;         /* states replayed in import's batch (history.h) */
    /* The tally cache (running.h): has_cache when its tables exist;
     * running when each commit brings it up to date (a writer's default;
     * audit's replay turns it off). */
    int has_cache, running;
} ct_db;

/* What `central init` stores. All fields required. */
typedef struct ct_db_init {
    const uint8_t *definition;
    size_t definition_len;
    const uint8_t *definition_sig;
    size_t definition_sig_len;
    const uint8_t *commission_pk;       /* PR_PK_BYTES */
    const char *mode;                   /* "live" / "test" */
    const cm_definition *def;           /* loaded from definition */
    const char *scope;                  /* area id of a lower commission, or NULL */
    const uint8_t *top_pk;              /* PR_PK_BYTES: the key that signed the
                                         * definition, when not commission_pk; or NULL */
} ct_db_init;

/* Like ct_db_prepare, for the statements of the hot path (issue 8: import
 * spent half its time preparing the same SQL again): the statement of sql
 * is prepared once per connection and kept. sql must outlive db (a string
 * literal); it is looked up by address. Give the statement back with
 * ct_db_done, never sqlite3_finalize. A statement still handed out (a
 * nested use of the same SQL) or a full cache gets a fresh statement,
 * which ct_db_done finalizes. 0, or -1 with e (the SQL did not prepare). */
int ct_db_cached(ct_db *db, const char *sql, sqlite3_stmt **st, ct_err *e);

/* The first column of the one row sql (a literal, no parameters; cached
 * as ct_db_cached) gives, into *out. 0, or -1 with e (no row, or the
 * database could not be read). */
int ct_db_int(ct_db *db, const char *sql, int64_t *out, ct_err *e);

/* on = 0: databases opened from now on commit without waiting for the disk
 * (synchronous = OFF). Only for `central audit`'s replay, a temporary
 * database thrown away after the comparison (issue 8: an fsync per
 * replayed event made audit a hundred times slower than import); every
 * other database is opened synchronous = FULL (DESIGN 9). */
void ct_db_set_durable(int on);

/* Gives back a statement from ct_db_cached: a cached one is reset (ending
 * its read) and its bindings cleared; any other is finalized. st NULL is a
 * no-op. */
void ct_db_done(ct_db *db, sqlite3_stmt *st);

/* Creates a new database at path (refused when anything exists there),
 * writes the schema, meta and the first event (kind `init`). On failure
 * nothing is left behind. 0, or -1 with e. */
int ct_db_create(const char *path, const ct_db_init *init, ct_err *e);

/* Opens an existing database (readonly != 0: no writes, for status and
 * tally), checks the schema version, reloads and re-hashes the stored
 * definition. *out owned by the caller (ct_db_close). 0, or -1 with e. */
int ct_db_open(const char *path, int readonly, ct_db **out, ct_err *e);
void ct_db_close(ct_db *db);

/* Whether databases opened for writing from now on keep the tally cache
 * current at each commit (running.h; on by default). `central audit` turns
 * it off for its replay, whose statuses it computes in full anyway. */
void ct_db_keep_cache(int on);

/* Opens read-only with only the definition's core from the tally cache
 * (running.h): db->def has no precincts (n_precincts 0) and n_older is 0;
 * for a national summary, which then never reads the definition's
 * precincts (issue 8). The core is trusted as stored when its hash is the
 * newest definition's (`central audit` checks the cache). Neither the
 * definition's bytes nor commission_pk (stored behind them) are read:
 * commission_pk is all zero. 1 and *out; 0
 * and *out NULL when there is no such core (open with ct_db_open); -1
 * with e. */
int ct_db_open_core(const char *path, ct_db **out, ct_err *e);

/* The stored version of the definition whose file hash is hash (the newest
 * or an earlier one), or NULL. Borrowed from db. */
const cm_definition *ct_db_version(const ct_db *db, const uint8_t hash[PR_HASH_BYTES]);

/* 1 when precinct (a definition index) is in the database's scope: under
 * its scope area in the area tree, or always when it has no scope. */
int ct_db_in_scope(const ct_db *db, size_t precinct);

/* The key that signs this database's definition versions: the top
 * commission's (--top-pub at init) or else the commission key. */
const uint8_t *ct_db_definition_pk(const ct_db *db);

/* BEGIN IMMEDIATE (so concurrent importers serialise and each decision
 * sees a fixed state), COMMIT, ROLLBACK. 0, or -1 with e (code 3). */
int ct_db_begin(ct_db *db, ct_err *e);
int ct_db_commit(ct_db *db, ct_err *e);
void ct_db_rollback(ct_db *db);

/* Runs sql (one or more statements, no results). 0, or -1 with e (code 3). */
int ct_db_exec(ct_db *db, const char *sql, ct_err *e);

/* Prepares sql; 0, or -1 with e (code 3). */
int ct_db_prepare(ct_db *db, const char *sql, sqlite3_stmt **st, ct_err *e);
/* Fills e with the connection's last error (code 3), about what. */
void ct_db_error(ct_db *db, ct_err *e, const char *what);

/* Binders that refuse lengths beyond int. They return SQLITE_OK or an
 * SQLite error code. */
int ct_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);
int ct_bind_text(sqlite3_stmt *st, int i, const char *s);
int ct_bind_i64(sqlite3_stmt *st, int i, int64_t v);
/* Binds NULL when v == 0 (foreign keys that may be absent). */
int ct_bind_id_or_null(sqlite3_stmt *st, int i, int64_t v);

/* Column readers: a NUL-terminated copy of a text column into out
 * (truncated), and a blob of exactly n bytes (0, or -1 when NULL or of
 * another size). */
void ct_col_text(sqlite3_stmt *st, int i, char *out, size_t outlen);
int ct_col_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t n);
size_t ct_col_size(sqlite3_stmt *st, int i);

#endif
