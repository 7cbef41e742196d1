"""the audit append in one round trip on PostgreSQL: audit_append()

A function that does in the database what the append's two statements did with a round trip between them: take
the head row of every chain appended to (an upsert, in chain order, moving each seq on by its number of events),
link and hash each event after its chain's newest (SHA-256 over the previous hash and the event's canonical
JSON, exactly as `app.trail.recorder.chain_hash` computes it: the caller passes each event's canonical JSON up
to its seq, the one member it cannot know, which sorts last), insert the events, move each head's hash on, and
return each event's seq, previous hash and hash in the order given. Verification still recomputes every hash in
Python. SQLite keeps the two statements (and its trigger).

Revision ID: audit_append_fn
Revises: audit_head_hash
Create Date: 2026-12-05 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'audit_append_fn'
down_revision: str | Sequence[str] | None = 'audit_head_hash'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION audit_append(
    p_id uuid[], p_chain varchar[], p_at timestamptz[], p_actor_type varchar[], p_actor_id varchar[],
    p_agency_id uuid[], p_action varchar[], p_object_type varchar[], p_object_id varchar[],
    p_request_id varchar[], p_outcome varchar[], p_body text[]
) RETURNS TABLE (o_seq integer, o_prev_hash varchar, o_hash varchar)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(cardinality(p_id), 0);
    seqs integer[] := array_fill(0, ARRAY[n]);
    prevs varchar[] := array_fill(''::varchar, ARRAY[n]);
    hashes varchar[] := array_fill(''::varchar, ARRAY[n]);
    head record;
    cur_seq integer;
    cur_hash varchar;
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    FOR head IN
        INSERT INTO audit_chain_heads AS h (chain, seq, hash)
        SELECT v.chain, count(*)::integer, repeat('0', 64)
        FROM unnest(p_chain) AS v(chain) GROUP BY v.chain ORDER BY v.chain
        ON CONFLICT (chain) DO UPDATE SET seq = h.seq + excluded.seq
        RETURNING h.chain, h.seq, h.hash
    LOOP
        cur_seq := head.seq - (SELECT count(*)::integer FROM unnest(p_chain) AS c WHERE c = head.chain);
        cur_hash := head.hash;
        FOR i IN 1..n LOOP
            IF p_chain[i] = head.chain THEN
                cur_seq := cur_seq + 1;
                prevs[i] := cur_hash;
                cur_hash := encode(sha256(convert_to(cur_hash || p_body[i] || cur_seq::text || '}', 'UTF8')), 'hex');
                seqs[i] := cur_seq;
                hashes[i] := cur_hash;
            END IF;
        END LOOP;
        UPDATE audit_chain_heads SET hash = cur_hash WHERE chain = head.chain;
    END LOOP;
    INSERT INTO audit_events (id, chain, seq, at, actor_type, actor_id, agency_id, action, object_type, object_id,
                              request_id, outcome, prev_hash, hash)
    SELECT * FROM unnest(p_id, p_chain, seqs, p_at, p_actor_type, p_actor_id, p_agency_id, p_action, p_object_type,
                         p_object_id, p_request_id, p_outcome, prevs, hashes);
    RETURN QUERY SELECT r.s, r.p, r.h FROM unnest(seqs, prevs, hashes) WITH ORDINALITY AS r(s, p, h, i) ORDER BY r.i;
END
$$
"""

SIGNATURE = ("audit_append(uuid[], varchar[], timestamptz[], varchar[], varchar[], uuid[], varchar[], varchar[], "
             "varchar[], varchar[], varchar[], text[])")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
