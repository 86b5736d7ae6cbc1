/* a /* nested */ comment; */ SELECT 'it''s;' AS "x;y"; -- end;
SELECT E'\';';
