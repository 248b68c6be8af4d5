DROP TABLE item_photos;
DROP TABLE items;
