-- Look-ups by people (issue 16: the console's Records and Duplicates pages at 100k
-- customers) read indexes, not every record. Mirrors framework/state/sqlite_lookup.py.
--
-- A record's folded name (normalize.name_key), written with the record; the index holds it
-- in (side, id) order so a search by part of a name reads short keys only. Filled for the
-- records already stored by `syncwright db upgrade` (migrations.py), after this file.
ALTER TABLE records ADD COLUMN name_key text;
CREATE INDEX records_name ON records (tenant, pair, entity, side, id, name_key)
    WHERE NOT deleted;
-- "Ends with these digits" as a prefix of the reversed value.
CREATE INDEX keys_tail ON keys (tenant, pair, entity, side, name, reverse(value) text_pattern_ops);
-- The key values two or more records on one side hold (duplicate candidates, SQ-2), kept
-- by a trigger on keys. The keys of one pair are written under the pair's lease (runs,
-- merges), so the trigger's look at the other rows is not raced by another writer.
CREATE TABLE shared_values (
    tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL, side text NOT NULL,
    name text NOT NULL, value text NOT NULL,
    PRIMARY KEY (tenant, pair, entity, side, name, value));
CREATE FUNCTION keys_shared() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM keys k WHERE k.tenant = OLD.tenant
                AND k.pair = OLD.pair AND k.entity = OLD.entity AND k.side = OLD.side
                AND k.name = OLD.name AND k.value = OLD.value LIMIT 2) two) < 2 THEN
            DELETE FROM shared_values s WHERE s.tenant = OLD.tenant AND s.pair = OLD.pair
                AND s.entity = OLD.entity AND s.side = OLD.side AND s.name = OLD.name
                AND s.value = OLD.value;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF EXISTS (SELECT 1 FROM keys k WHERE k.tenant = NEW.tenant AND k.pair = NEW.pair
                AND k.entity = NEW.entity AND k.side = NEW.side AND k.name = NEW.name
                AND k.value = NEW.value AND k.id <> NEW.id) THEN
            INSERT INTO shared_values VALUES
                (NEW.tenant, NEW.pair, NEW.entity, NEW.side, NEW.name, NEW.value)
                ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER keys_shared AFTER INSERT OR UPDATE OR DELETE ON keys
    FOR EACH ROW EXECUTE FUNCTION keys_shared();
INSERT INTO shared_values
    SELECT tenant, pair, entity, side, name, value FROM keys
    GROUP BY tenant, pair, entity, side, name, value HAVING count(*) > 1;
