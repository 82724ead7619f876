#include "h.h"
int main(){
 reset(); struct stat st;
 printf("fresh mount:\n"); pst(".");
 mkf("a","abc"); pst("a");
 mkdir("A",0755); pst("A"); pst(".");
 mkdir("B",0755); pst(".");
 mkdir("A/sub",0755); pst("A"); pst("A/sub");
 symlink("abc","sl"); pst("sl"); pst(".");
 symlink("","empty_target_sl");
 T("symlink(\"\",x)", symlink("","empty_sl"));
 mkfifo("fi",0644); pst("fi"); pst(".");
 printf("-- hard link a->A/a2\n"); pst("A");
 T("link", link("a","A/a2")); pst("A"); pst("a");
 printf("-- rename file across dirs A/a2 -> B/a3\n"); pst("A"); pst("B");
 rename("A/a2","B/a3"); pst("A"); pst("B");
 printf("-- rename dir across A/sub -> B/sub\n"); pst("A"); pst("B");
 rename("A/sub","B/sub"); pst("A"); pst("B"); pst("B/sub");
 printf("-- rename over existing file within B: create B/x, rename B/a3 -> B/x\n");
 mkf("B/x",NULL); pst("B"); rename("B/a3","B/x"); pst("B");
 printf("-- rename dir over empty dir across: mkdir A/e; rename B/sub -> A/e\n");
 mkdir("A/e",0755); pst("A"); pst("B"); rename("B/sub","A/e"); pst("A"); pst("B");
 printf("-- unlink B/x\n"); unlink("B/x"); pst("B");
 printf("-- O_TMPFILE in A\n"); pst("A");
 int fd=open("A",O_TMPFILE|O_RDWR,0600); pst("A");
 { struct stat s2; fstat(fd,&s2); printf("  tmpfile ino=%lu nlink=%lu size=%ld\n",s2.st_ino,s2.st_nlink,s2.st_size);}
 linkat(fd,"",AT_FDCWD,"A/t1",AT_EMPTY_PATH); pst("A"); pst("A/t1");
 close(fd);
 printf("-- blocks\n");
 fd=open("big",O_CREAT|O_RDWR,0644); pwrite(fd,"x",1,0); fstat(fd,&st); printf("  1 byte: blocks=%ld blksize=%ld\n",st.st_blocks,st.st_blksize);
 close(fd);
 fd=open("sparse",O_CREAT|O_RDWR,0644); char b4[4096]; memset(b4,'y',4096); pwrite(fd,b4,4096,1LL<<30); fstat(fd,&st); printf("  4096@1GiB: size=%ld blocks=%ld\n",st.st_size,st.st_blocks); close(fd);
 fd=open("b5",O_CREAT|O_RDWR,0644); pwrite(fd,b4,4096,0); pwrite(fd,"z",1,4096); fstat(fd,&st); printf("  4097 bytes: blocks=%ld\n",st.st_blocks); close(fd);
 fd=open("b6",O_CREAT|O_RDWR,0644); ftruncate(fd,1<<20); fstat(fd,&st); printf("  ftruncate 1MiB: blocks=%ld\n",st.st_blocks); close(fd);
 pst("a");
 printf("-- inode numbers sequence\n");
 for(int i=0;i<4;i++){ char n[16]; sprintf(n,"seq%d",i); mkf(n,NULL); pst(n);}
 unlink("seq3"); mkf("seq3",NULL); pst("seq3");
 return 0;
}
