#include "h.h"
int main(){
 reset(); int fd;
 fd=open("y",O_CREAT|O_RDWR,0644);
 T("remount ro, linked file open O_RDWR", mount("none",M,NULL,MS_REMOUNT|MS_RDONLY,NULL));
 close(fd);
 fd=open("y",O_RDONLY);
 T("remount ro, linked file open O_RDONLY", mount("none",M,NULL,MS_REMOUNT|MS_RDONLY,NULL));
 T("remount rw", mount("none",M,NULL,MS_REMOUNT,NULL));
 close(fd);
 fd=open("z",O_CREAT|O_RDONLY,0644); unlink("z");
 T("remount ro, unlinked file open O_RDONLY", mount("none",M,NULL,MS_REMOUNT|MS_RDONLY,NULL));
 close(fd);
 T("remount ro after close", mount("none",M,NULL,MS_REMOUNT|MS_RDONLY,NULL));
 T("open(y,O_RDWR) on ro sb", open("y",O_RDWR));
 T("open(new,O_CREAT) on ro sb", open("new",O_CREAT|O_RDWR,0644));
 T("mkdir(y) existing on ro sb", mkdir("y",0755));
 T("unlink(missing) on ro sb", unlink("missing"));
 mount("none",M,NULL,MS_REMOUNT,NULL);
 // fd of O_TMPFILE open
 fd=open(".",O_TMPFILE|O_RDWR,0600);
 T("remount ro, O_TMPFILE open", mount("none",M,NULL,MS_REMOUNT|MS_RDONLY,NULL));
 close(fd);
 umount2(M,MNT_DETACH);
 return 0;
}
