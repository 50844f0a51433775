/*
 * fuzz_rule.c: control-rule expressions (docs/DEFINITION.md "Rule
 * grammar"): the input is a rule's `check` text, put into a fixed
 * definition through cm_definition_load; a rule that compiles is evaluated
 * on extreme counts, where every overflow must count as a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rules.h"
#include "fuzz.h"

/* Longest check text tried: 64 terms a side of long names fit easily. */
#define RULE_TEXT_MAX 8192u

static const char head[] =
    "{\"format\":\"election-definition/1\",\"id\":\"f\",\"name\":\"F\",\"date\":\"2026-03-15\","
    "\"parties\":[],\"areas\":[{\"id\":\"a\",\"name\":\"A\",\"parent\":null,"
    "\"close\":\"2026-03-15T17:00:00Z\"}],\"protocols\":[{\"id\":\"p\",\"lines\":["
    "{\"id\":\"registered\",\"name\":\"R\"},{\"id\":\"issued\",\"name\":\"I\"},"
    "{\"id\":\"cast-portable\",\"name\":\"CP\"},{\"id\":\"cast-stationary\",\"name\":\"CS\"},"
    "{\"id\":\"ballots-cast\",\"name\":\"B\",\"derived\":[\"cast-portable\",\"cast-stationary\"]},"
    "{\"id\":\"invalid\",\"name\":\"V\"},{\"id\":\"against-all\",\"name\":\"AA\"},"
    "{\"id\":\"12\",\"name\":\"Numbered\"}],"
    "\"rules\":[{\"id\":\"fuzz-rule\",\"severity\":\"hold\",\"check\":\"";
static const char tail[] =
    "\"}]}],\"contests\":[{\"id\":\"c\",\"name\":\"C\",\"area\":\"a\",\"protocol\":\"p\","
    "\"against_all\":true,\"outcome\":\"plurality\",\"candidates\":[{\"id\":\"x\",\"name\":\"X\","
    "\"party\":null},{\"id\":\"y\",\"name\":\"Y\",\"party\":null}]}],"
    "\"precincts\":[{\"id\":\"p1\",\"name\":\"P1\",\"area\":\"a\",\"contests\":[\"c\"],"
    "\"registered\":1000}]}";

/* Evaluates every rule of the protocol on one set of counts. */
static void eval_all(const cm_protocol *p, const uint64_t *counts, uint64_t votes)
{
    char detail[256], tiny[2];
    for (size_t k = 0; k < p->n_rules; k++) {
        int a = cm_rule_holds(&p->rules[k], counts, votes, NULL, 0);
        int b = cm_rule_holds(&p->rules[k], counts, votes, detail, sizeof detail);
        int c = cm_rule_holds(&p->rules[k], counts, votes, tiny, sizeof tiny);
        if (a != b || a != c || (a != 0 && a != 1))
            fuzz_fail("cm_rule_holds is not a pure 0/1 answer (%d %d %d)", a, b, c);
        if (memchr(detail, '\n', strnlen(detail, sizeof detail)) != NULL)
            fuzz_fail("a rule detail spans lines");
        fuzz_check_message("cm_rule_holds detail", detail);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json;
    size_t n = 0;
    cm_definition *def = NULL;
    pr_diag d = {0, ""};

    if (size > RULE_TEXT_MAX)
        return 0;
    fuzz_init();
    json = malloc(sizeof head + sizeof tail + size * 6);
    if (json == NULL)
        return 0;
    memcpy(json, head, sizeof head - 1);
    n = sizeof head - 1;
    /* JSON-escape every byte that is not printable ASCII, so every input
     * reaches the rule parser rather than stopping at the JSON syntax. */
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            n += (size_t)sprintf(json + n, "\\u%04x", c);
        else
            json[n++] = (char)c;
    }
    memcpy(json + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;
    if (cm_definition_load((const uint8_t *)json, n, &def, &d) != 0) {
        if (d.msg[0] != '$')
            fuzz_fail("a rule refusal must name its JSON path: \"%s\"", d.msg);
        fuzz_check_message("cm_definition_load", d.msg);
        goto out;
    }
    {
        const cm_protocol *p = &def->protocols[0];
        uint64_t counts[PR_LINES_MAX];
        static const uint64_t fills[] = {0, 1, 999999999, PR_COUNT_MAX};
        for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++) {
            for (size_t i = 0; i < p->n_lines; i++)
                counts[i] = fills[f];
            eval_all(p, counts, fills[f]);
            eval_all(p, counts, UINT64_MAX); /* what rules.c passes on a votes overflow */
        }
        for (size_t i = 0; i < p->n_lines; i++)
            counts[i] = (i % 2) ? PR_COUNT_MAX : 0;
        eval_all(p, counts, PR_COUNT_MAX * 256u);
    }
out:
    cm_definition_free(def);
    free(json);
    return 0;
}
