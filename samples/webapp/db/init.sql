CREATE TABLE IF NOT EXISTS visits (at timestamptz DEFAULT now());
