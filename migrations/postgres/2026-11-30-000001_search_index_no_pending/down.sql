ALTER INDEX articles_search RESET (fastupdate);
