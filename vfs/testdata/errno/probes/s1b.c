#include "h.h"
int main(){
 std();
 int fd; char name[300], path[5000];
 // symlink chain: l0 -> f, l1 -> l0, ... lN -> l(N-1)
 symlink("f","l0");
 for(int i=1;i<=45;i++){ char a[16],b[16]; sprintf(a,"l%d",i); sprintf(b,"l%d",i-1); symlink(b,a);}
 // open(lN) follows N+1 links (lN..l0)
 for(int n=38;n<=41;n++){ char a[16]; sprintf(a,"l%d",n); char lab[64]; sprintf(lab,"open(l%d) [%d links]",n,n+1); T(lab, fd=open(a,O_RDONLY)); if(fd>=0) close(fd);}
 for(int n=38;n<=41;n++){ char a[16]; sprintf(a,"l%d",n); char lab[64]; sprintf(lab,"stat(l%d) [%d links]",n,n+1); struct stat st; T(lab, stat(a,&st));}
 // chain to dir used in middle: lN/.. where chain to d
 symlink("d","m0");
 for(int i=1;i<=45;i++){ char a[16],b[16]; sprintf(a,"m%d",i); sprintf(b,"m%d",i-1); symlink(b,a);}
 for(int n=38;n<=41;n++){ char a[32]; sprintf(a,"m%d/sub",n); char lab[64]; sprintf(lab,"stat(m%d/sub) [%d links mid-path]",n,n+1); struct stat st; T(lab, stat(a,&st));}
 symlink("loopa","loopb"); symlink("loopb","loopa");
 T("open(loopa)", open("loopa",O_RDONLY));
 T("open(loopa,O_CREAT)", open("loopa",O_CREAT|O_RDWR,0644));
 T("open(loopa,O_CREAT|O_EXCL)", open("loopa",O_CREAT|O_EXCL|O_RDWR,0644));
 T("open(loopa/x)", open("loopa/x",O_RDONLY));
 T("lstat(loopa)", ({struct stat st; lstat("loopa",&st);}));
 T("stat(loopa)", ({struct stat st; stat("loopa",&st);}));
 symlink("self","self");
 T("open(self)", open("self",O_RDONLY));
 // name lengths
 memset(name,'a',255); name[255]=0;
 T("open(255-byte name,O_CREAT)", fd=open(name,O_CREAT|O_RDWR,0644)); close(fd);
 memset(name,'b',256); name[256]=0;
 T("open(256-byte name,O_CREAT)", open(name,O_CREAT|O_RDWR,0644));
 T("open(256-byte name,O_RDONLY)", open(name,O_RDONLY));
 T("stat(256-byte name)", ({struct stat st; stat(name,&st);}));
 T("mkdir(256-byte name)", mkdir(name,0755));
 char nn[400]; sprintf(nn,"missingdir/%s",name);
 T("open(missingdir/<256>,O_CREAT)", open(nn,O_CREAT|O_RDWR,0644));
 sprintf(nn,"%s/x",name);
 T("open(<256>/x) (ENAMETOOLONG vs ENOENT)", open(nn,O_RDONLY));
 // PATH_MAX: build path "././././...f" strlen 4095 (ok) vs 4096
 for(int L=4094; L<=4097; L++){
   int pre = L-1; // path = "/" * pre + "f" ... use "./" repeated then pad slashes
   memset(path,'/',L); // leading: relative path: "f" needs to be last. use "./" prefix style
   // construct: "." followed by (L-2) '/' then 'f'  => length L
   path[0]='.'; for(int i=1;i<L-1;i++) path[i]='/'; path[L-1]='f'; path[L]=0;
   char lab[64]; sprintf(lab,"open(path strlen=%d)",L); T(lab, fd=open(path,O_RDONLY)); if(fd>=0) close(fd);
 }
 // symlink target at path max
 // empty
 T("open(\"\")", open("",O_RDONLY));
 T("stat(\"\")", ({struct stat st; stat("",&st);}));
 T("fstatat(\"\",AT_EMPTY_PATH)", ({struct stat st; fstatat(AT_FDCWD,"",&st,AT_EMPTY_PATH);}));
 return 0;
}
