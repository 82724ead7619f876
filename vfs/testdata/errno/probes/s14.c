#include "h.h"
int main(){
 std(); char buf[8192]; struct stat st;
 symlink("newt","d/dl4"); int fd;
 T("open(d/dl4 -> newt, O_CREAT)", fd=open("d/dl4",O_CREAT|O_RDWR,0644)); close(fd);
 printf("  d/newt exists=%d ./newt exists=%d\n", access("d/newt",F_OK)==0, access("newt",F_OK)==0);
 symlink("d/dl4","chain"); 
 T("open(chain -> d/dl4 -> newt2?) second-level dangling", ({unlink("d/newt"); int r=open("chain",O_CREAT|O_RDWR,0644); close(r); r;}));
 printf("  d/newt exists=%d\n", access("d/newt",F_OK)==0);
 for(int L=127;L<=129;L++){ memset(buf,'q',L); buf[L]=0; char n[16]; sprintf(n,"sym%d",L); symlink(buf,n); pst(n);}
 pst("p");
 int pp[2]; pipe(pp); fstat(pp[0],&st); printf("  pipe fstat mode=%o size=%ld blksize=%ld ino=%lu\n",st.st_mode,st.st_size,st.st_blksize,st.st_ino);
 stat(".",&st); printf("  st_dev major=%u minor=%u\n", major(st.st_dev), minor(st.st_dev));
 // rename over hardlink: dir size check
 link("f","hl"); pst(".");
 rename("f","hl"); pst("."); pst("f"); pst("hl");
 // timestamps on noop rename
 return 0;
}
