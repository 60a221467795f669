-- Creatives: the text links and image banners affiliates post with their own link.
CREATE TABLE creatives (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    image_url   TEXT,
    landing_url TEXT,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX creatives_newest ON creatives (created_at, id);
