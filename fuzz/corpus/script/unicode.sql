SELECT 'é€😀' AS "ünï";
SELECT U&'\0041';
