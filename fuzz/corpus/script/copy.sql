COPY t (id) FROM stdin;
1
2
\.
SELECT 1;
