#include "h.h"
struct linux_dirent64 { uint64_t d_ino; int64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };
static void ls(const char*p){
  int fd=open(p,O_RDONLY|O_DIRECTORY); char buf[8192]; long n;
  printf("  getdents64(%s):",p);
  while((n=syscall(SYS_getdents64,fd,buf,sizeof buf))>0){
    for(long o=0;o<n;){ struct linux_dirent64*d=(void*)(buf+o); printf(" %s(ino=%lu,off=%ld,t=%d)",d->d_name,d->d_ino,d->d_off,d->d_type); o+=d->d_reclen;}
  }
  if(n<0) printf(" ERR %s",en(errno));
  printf("\n"); close(fd);
}
int main(){
 reset();
 mkf("c",NULL); mkf("a",NULL); mkf("b",NULL); mkdir("dd",0755); symlink("a","ls"); mkfifo("ff",0644);
 ls(".");
 printf("-- rename a -> z\n"); rename("a","z"); ls(".");
 printf("-- unlink c, recreate c\n"); unlink("c"); mkf("c",NULL); ls(".");
 printf("-- rename b over existing z\n"); rename("b","z"); ls(".");
 printf("-- exchange c<->dd\n"); syscall(SYS_renameat2,AT_FDCWD,"c",AT_FDCWD,"dd",2); ls(".");
 printf("-- link z -> h\n"); link("z","h"); ls(".");
 printf("-- cross-dir rename dd/.. check\n"); ls("dd");
 // d_ino of .. at mount root
 struct stat st; stat("..",&st); printf("  stat(..) from mount root: ino=%lu dev=%lx\n", st.st_ino, st.st_dev);
 stat(".",&st); printf("  stat(.) ino=%lu dev=%lx\n", st.st_ino, st.st_dev);
 // getdents on non-dir
 int fd=open("z",O_RDONLY); char buf[4096];
 T("getdents64(file fd)", syscall(SYS_getdents64,fd,buf,sizeof buf)); close(fd);
 fd=open("ff",O_RDWR);
 T("getdents64(fifo fd)", syscall(SYS_getdents64,fd,buf,sizeof buf)); close(fd);
 T("getdents64(badfd)", syscall(SYS_getdents64,999,buf,sizeof buf));
 fd=open(".",O_RDONLY);
 T("getdents64(dir, count=0)", syscall(SYS_getdents64,fd,buf,0));
 T("getdents64(dir, count=10 too small)", syscall(SYS_getdents64,fd,buf,10));
 T("getdents64(dir, buf=NULL)", syscall(SYS_getdents64,fd,NULL,4096));
 close(fd);
 fd=open(".",O_PATH);
 T("getdents64(O_PATH dir fd)", syscall(SYS_getdents64,fd,buf,sizeof buf)); close(fd);
 // removed dir
 mkdir("rm",0755); fd=open("rm",O_RDONLY); rmdir("rm");
 T("getdents64(removed dir fd)", syscall(SYS_getdents64,fd,buf,sizeof buf));
 close(fd);
 mkdir("rm",0755); fd=open("rm",O_RDONLY); 
 T("getdents64(empty dir) first", syscall(SYS_getdents64,fd,buf,sizeof buf));
 lseek(fd,0,SEEK_SET); rmdir("rm");
 T("getdents64(removed dir fd, after seek 0)", syscall(SYS_getdents64,fd,buf,sizeof buf));
 close(fd);
 // many entries + delete during iteration
 mkdir("many",0755); for(int i=0;i<5;i++){char n[32]; sprintf(n,"many/e%d",i); mkf(n,NULL);} ls("many");
 unlink("many/e2"); mkf("many/e2",NULL); ls("many");
 return 0;
}
