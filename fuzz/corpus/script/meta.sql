\set ON_ERROR_STOP on
SELECT 1;
\i other.sql
