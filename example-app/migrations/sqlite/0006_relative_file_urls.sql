-- track.file held the absolute URL built from the upload request's Host (any client's);
-- it is now the path of the file action, made absolute per response.
UPDATE track SET file = '/api/tracks/' || id || '/file/' WHERE file IS NOT NULL;
