DROP TABLE favourites;
DROP TABLE photo_drafts;
