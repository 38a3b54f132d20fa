-- name: concepts_state(sha256)^
-- Whether the stored concepts were drawn from another glossary, and whether some are missing.
select (select sha256 from search_glossary) is distinct from :sha256 as glossary_changed,
       exists (select from needs where concepts is null)
       or exists (select from offers where concepts is null) as missing;

-- name: needs_to_index(everything)
select id, title, description from needs where concepts is null or :everything;

-- name: offers_to_index(everything)
select id, title, description from offers where concepts is null or :everything;

-- name: set_need_concepts*!
update needs set concepts = :concepts::tsvector where id = :id;

-- name: set_offer_concepts*!
update offers set concepts = :concepts::tsvector where id = :id;

-- name: record_glossary(sha256)!
insert into search_glossary (sha256) values (:sha256)
on conflict (only_row) do update set sha256 = excluded.sha256;
