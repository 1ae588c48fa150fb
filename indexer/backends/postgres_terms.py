"""The word statistics of one search generation, kept beside its rows so that a search weighs its
words without counting rows.

BM25 needs how many records hold each word (in titles and in bodies, `postgres_rows`' two
vectors), the record count and the mean lengths. Counted from the rows at search time, a common
word cost 2-10 ms and the record count with the mean lengths 20-45 ms at lawref x10, and each web
worker counted again whenever its `TermCounts` entries grew old: those cold searches were the
slow tail of the latencies (in process, p50 102 ms cold against 49 ms warm). Read from here, the
figures cost one primary-key lookup each.

    <generation>_df                 word, head, body: records holding the word in each vector
    policylib_search_generations    count, title_words, body_words of the generation's row

Filled from `ts_stat` when a generation is built (6 s at lawref x10, beside its GIN indexes) or,
for a generation built before this table existed, on first use. Every write changes them in its
own transaction (the old rows' words out, the new rows' in), under a lock that writers take one
at a time, so the figures stay exact: the same as counting the rows.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

TERMS_SUFFIX = "_df"
GENERATIONS = "policylib_search_generations"  # one row per generation (`postgres`)

_TERMS_DDL = """
CREATE TABLE {df} (
    word text PRIMARY KEY,
    head bigint NOT NULL,
    body bigint NOT NULL
)"""
_FILL = """
INSERT INTO {df} (word, head, body)
SELECT coalesce(h.word, b.word), coalesce(h.ndoc, 0), coalesce(b.ndoc, 0)
FROM ts_stat(%(heads)s) h FULL JOIN ts_stat(%(bodies)s) b ON h.word = b.word
"""
_TOTALS = """
UPDATE {g} SET count = r.n, title_words = r.tw, body_words = r.bw
FROM (SELECT count(*) AS n, coalesce(sum(title_words), 0) AS tw,
             coalesce(sum(body_words), 0) AS bw FROM {t}) r
WHERE name = %(generation)s
"""
# The words of some rows added to (sign 1) or taken from (-1) the counts, in one statement; the
# words in one order, so that no two writers could ever wait for each other's rows.
_CHANGE = """
WITH r AS MATERIALIZED (
    SELECT head_tsv, body_tsv, title_words, body_words FROM {t} WHERE id = ANY(%(ids)s)
), words AS (
    INSERT INTO {df} AS d (word, head, body)
    SELECT word, %(sign)s * sum(h), %(sign)s * sum(b) FROM (
        SELECT unnest(tsvector_to_array(head_tsv)) AS word, 1 AS h, 0 AS b FROM r
        UNION ALL SELECT unnest(tsvector_to_array(body_tsv)), 0, 1 FROM r
    ) x GROUP BY word ORDER BY word
    ON CONFLICT (word) DO UPDATE SET head = d.head + EXCLUDED.head, body = d.body + EXCLUDED.body
)
UPDATE {g} SET count = count + %(sign)s * (SELECT count(*) FROM r),
    title_words = title_words + %(sign)s * (SELECT coalesce(sum(title_words), 0) FROM r),
    body_words = body_words + %(sign)s * (SELECT coalesce(sum(body_words), 0) FROM r)
WHERE name = %(generation)s
"""


def terms_table(generation: str) -> str:
    return generation + TERMS_SUFFIX


def create_terms(conn: psycopg.Connection, generation: str) -> None:
    """Make and fill the counts of `generation` (its row in GENERATIONS must exist). The
    caller keeps writers out until its transaction ends, or the counts would miss their rows."""
    df = sql.Identifier(terms_table(generation))
    table = sql.Identifier(generation)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(df))  # left half made by a crash
    conn.execute(sql.SQL(_TERMS_DDL).format(df=df))
    conn.execute(
        sql.SQL(_FILL).format(df=df),
        {
            "heads": sql.SQL("SELECT head_tsv FROM {}").format(table).as_string(conn),
            "bodies": sql.SQL("SELECT body_tsv FROM {}").format(table).as_string(conn),
        },
    )
    conn.execute(
        sql.SQL(_TOTALS).format(g=sql.Identifier(GENERATIONS), t=table),
        {"generation": generation},
    )


def has_terms(conn: psycopg.Connection, generation: str) -> bool:
    """Whether the counts of `generation` exist (older versions built generations without)."""
    return conn.execute(
        sql.SQL(
            "SELECT to_regclass(%s) IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM {} WHERE name = %s AND title_words IS NOT NULL)"
        ).format(sql.Identifier(GENERATIONS)),
        (terms_table(generation), generation),
    ).fetchone()[0]


def change_terms(conn: psycopg.Connection, generation: str, ids: list[str], sign: int) -> None:
    """Count the rows `ids` of `generation` in (sign 1, after writing them) or out (-1, before
    replacing or deleting them); rows not there count nothing."""
    conn.execute(
        sql.SQL(_CHANGE).format(
            t=sql.Identifier(generation),
            df=sql.Identifier(terms_table(generation)),
            g=sql.Identifier(GENERATIONS),
        ),
        {"ids": ids, "sign": sign, "generation": generation},
    )


def read_words(conn: psycopg.Connection, generation: str, words: list[str]) -> dict[str, tuple]:
    """{word: (head, body)} of the words some record holds."""
    rows = conn.execute(
        sql.SQL("SELECT word, head, body FROM {} WHERE word = ANY(%s)").format(
            sql.Identifier(terms_table(generation))
        ),
        (words,),
    )
    return {word: (float(head), float(body)) for word, head, body in rows}


def read_totals(conn: psycopg.Connection, generation: str) -> tuple[float, float, float]:
    """(records, mean body words, mean title words) of `generation`."""
    row = conn.execute(
        sql.SQL("SELECT count, body_words, title_words FROM {} WHERE name = %s").format(
            sql.Identifier(GENERATIONS)
        ),
        (generation,),
    ).fetchone()
    n, body, title = (float(v or 0) for v in row) if row else (0.0, 0.0, 0.0)
    return n, body / n if n else 0.0, title / n if n else 0.0
