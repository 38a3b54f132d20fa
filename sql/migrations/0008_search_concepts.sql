-- migrate:up
-- The glossary concepts of each need's and offer's title and description (weighted like
-- `search`: title above description), which let a query in one language find a text in
-- another. The service writes them with the text; rows without them yet (written before
-- this migration, or copied in bulk) are filled by `matchmaker db migrate`.
alter table needs add column concepts tsvector;
alter table offers add column concepts tsvector;
create index needs_concepts on needs using gin (concepts);
create index offers_concepts on offers using gin (concepts);

-- The SHA-256 of the glossary the stored concepts were drawn from: with another glossary,
-- `db migrate` draws them all again.
create table search_glossary (
    only_row boolean primary key default true check (only_row),
    sha256 text not null
);

-- What `q` asks of the words of a text: websearch syntax, stemmed in each language.
create function search_words(q text) returns tsquery
language sql immutable parallel safe as $$
    select websearch_to_tsquery('simple', q) || websearch_to_tsquery('english', q)
           || websearch_to_tsquery('french', q) || websearch_to_tsquery('spanish', q)
$$;

-- Concepts joined by `operator` ('&': all of them, '|': any) as a tsquery; null for none.
create function search_concepts(concepts text[], operator text) returns tsquery
language sql immutable parallel safe as $$
    select nullif(array_to_string(array(select quote_literal(c) from unnest(concepts) c), operator), '')::tsquery
$$;

-- migrate:down
drop function search_words, search_concepts;
drop table search_glossary;
alter table needs drop column concepts;
alter table offers drop column concepts;
