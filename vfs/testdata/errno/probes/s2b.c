#include "h.h"
int main(){
 std(); char buf[8];
 int p=open("p",O_RDWR), r=open("f",O_RDONLY), d=open("d",O_RDONLY);
 T("pread(badfd,off=-1)", pread(999,buf,1,-1));
 T("pread(fifo,off=-1)", pread(p,buf,1,-1));
 T("pwrite(badfd,off=-1)", pwrite(999,"x",1,-1));
 T("pwrite(O_RDONLY f,off=-1)", pwrite(r,"x",1,-1));
 T("pread(O_WRONLY? no: O_RDONLY f, off=-1) ok-> EINVAL", pread(r,buf,1,-1));
 T("pread(dir,off=-1)", pread(d,buf,1,-1));
 T("ftruncate(badfd,-1)", ftruncate(999,-1));
 T("ftruncate(badfd,0)", ftruncate(999,0));
 T("ftruncate(fifo,-1)", ftruncate(p,-1));
 T("lseek(fifo,0,99)", lseek(p,0,99));
 T("lseek(badfd,0,99)", lseek(999,0,99));
 T("lseek(fifo,-1,SEEK_SET)", lseek(p,-1,SEEK_SET));
 T("write(O_RDONLY f, NULL,1)", write(r,NULL,1));
 int w=open("f",O_WRONLY);
 T("write(O_WRONLY f, NULL,1)", write(w,NULL,1));
 T("read(dir, NULL, 1)", read(d,NULL,1));
 T("read(O_WRONLY f, NULL,1)", read(w,NULL,1));
 T("read(f, count=SSIZE_MAX+1)", read(r,buf,(size_t)1<<63));
 T("pread(f, count huge, off 0)", pread(r,buf,(size_t)1<<63,0));
 T("fsync(dir)", fsync(d));
 T("fsync(O_RDONLY f)", fsync(r));
 T("fdatasync(fifo)", fdatasync(p));
 T("truncate(\"d/\",0)", truncate("d/",0));
 T("truncate(\"f/\",0)", truncate("f/",0));
 T("truncate(\"f\",-1) vs missing", truncate("missing",-1));
 return 0;
}
